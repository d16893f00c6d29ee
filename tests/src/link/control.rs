//! The emulator's control lines (one command per line on its stdin, one answer per line on its
//! stdout):
//!
//! - `down rate=800000 queue_ms=300 delay_ms=150 jitter_ms=10 loss=0.01 outage=0 block_udp=0`
//!   `burst_enter=0.01 burst_leave=0.3` (or `up ...`): changes the named fields of that direction, the others stay; answers `ok`.
//! - `stats`: answers `{"down":{counters},"up":{counters}}`: per direction the
//!   [`Counters`](super::pipeline::Counters) and the [`Traffic`](super::pipeline::Traffic) (RTP
//!   copies and bit/s per second, in and out).
//! - `quit`: answers `ok` and exits.
//!
//! A line it can not read is answered `error <why>` and changes nothing.

use super::pipeline::Settings;
use std::time::Duration;

/// Which way packets go: down is relay -> classroom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Down,
    Up,
}

impl Direction {
    pub fn word(self) -> &'static str {
        match self {
            Direction::Down => "down",
            Direction::Up => "up",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Change one direction (the whole new settings, already merged with the old).
    Set(Direction, Settings),
    Stats,
    Quit,
}

/// Reads `line`, merging a `down`/`up` change into `current(direction)`.
pub fn parse(line: &str, current: impl Fn(Direction) -> Settings) -> Result<Command, String> {
    let mut words = line.split_whitespace();
    let direction = match words.next() {
        Some("down") => Direction::Down,
        Some("up") => Direction::Up,
        Some("stats") => return Ok(Command::Stats),
        Some("quit") => return Ok(Command::Quit),
        Some(other) => return Err(format!("unknown command {other:?}")),
        None => return Err("empty line".into()),
    };
    let mut s = current(direction);
    for word in words {
        let (key, value) = word
            .split_once('=')
            .ok_or_else(|| format!("{word:?} is not key=value"))?;
        let number = |v: &str| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| format!("{key}={v}: not a number >= 0"))
        };
        let millis = |v: &str| number(v).map(|n| Duration::from_secs_f64(n / 1000.0));
        let flag = |v: &str| match v {
            "0" | "false" => Ok(false),
            "1" | "true" => Ok(true),
            _ => Err(format!("{key}={v}: not 0 or 1")),
        };
        match key {
            "rate" => s.rate_bps = number(value)? as u64,
            "queue_ms" => s.queue = millis(value)?,
            "delay_ms" => s.delay = millis(value)?,
            "jitter_ms" => s.jitter = millis(value)?,
            "loss" => {
                let p = number(value)?;
                if p > 1.0 {
                    return Err(format!("loss={value}: above 1"));
                }
                s.loss = p;
            }
            "burst_enter" | "burst_leave" => {
                let p = number(value)?;
                if p > 1.0 {
                    return Err(format!("{key}={value}: above 1"));
                }
                if key == "burst_enter" {
                    s.burst_enter = p;
                } else {
                    s.burst_leave = p;
                }
            }
            "outage" => s.outage = flag(value)?,
            "block_udp" => s.block_udp = flag(value)?,
            "block_port" => {
                s.block_port = value
                    .parse()
                    .map_err(|_| format!("block_port={value}: not a port"))?
            }
            _ => return Err(format!("unknown setting {key:?}")),
        }
    }
    Ok(Command::Set(direction, s))
}

/// The line that sets every field of `direction` to `s`.
pub fn line(direction: Direction, s: &Settings) -> String {
    format!(
        "{} rate={} queue_ms={} delay_ms={} jitter_ms={} loss={} burst_enter={} burst_leave={} outage={} block_udp={} block_port={}",
        direction.word(),
        s.rate_bps,
        s.queue.as_secs_f64() * 1000.0,
        s.delay.as_secs_f64() * 1000.0,
        s.jitter.as_secs_f64() * 1000.0,
        s.loss,
        s.burst_enter,
        s.burst_leave,
        u8::from(s.outage),
        u8::from(s.block_udp),
        s.block_port,
    )
}
