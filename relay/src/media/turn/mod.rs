//! The embedded TURN server's core (no IO). This first part: TURN REST credentials.

pub mod credentials;
