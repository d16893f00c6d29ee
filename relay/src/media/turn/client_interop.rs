//! The server against webrtc-rs's own TURN client (rtc-turn), wired back to back in memory.

use super::credentials;
use super::*;
use bytes::BytesMut;
use rtc::crypto::providers::RingProvider;
use rtc::crypto::RTCCryptoProvider;
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportMessage, TransportProtocol};
use rtc::turn::client::{Client, ClientConfig, Event};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const UNIX0: u64 = 1_700_000_000;

fn media() -> SocketAddr {
    ([198, 51, 100, 10], 50_000).into()
}

fn tuple() -> FiveTuple {
    FiveTuple {
        transport: Transport::Udp,
        client: ([203, 0, 113, 7], 40_000).into(),
        server: ([198, 51, 100, 11], 3478).into(),
    }
}

/// Carries the client's datagrams to the server and the answers back until both are quiet;
/// returns what the server sent to peers and the client's events.
fn pump(
    now: Instant,
    client: &mut Client,
    server: &mut TurnServer,
    extra: Vec<Output>,
) -> (Vec<Output>, Vec<Event>) {
    let (mut to_peers, mut events) = (Vec::new(), Vec::new());
    let mut to_client = extra;
    for _ in 0..32 {
        let mut quiet = true;
        while let Some(t) = client.poll_write() {
            quiet = false;
            to_client.extend(server.handle(now, tuple(), &t.message));
        }
        for out in to_client.drain(..) {
            match out {
                Output::ToClient { to, bytes } => {
                    assert_eq!(to, tuple());
                    quiet = false;
                    let msg: TaggedBytesMut = TransportMessage {
                        now,
                        transport: TransportContext {
                            local_addr: tuple().client,
                            peer_addr: tuple().server,
                            transport_protocol: TransportProtocol::UDP,
                            ecn: None,
                        },
                        message: BytesMut::from(&bytes[..]),
                    };
                    client.handle_read(msg).unwrap();
                }
                peer @ Output::ToPeer { .. } => to_peers.push(peer),
            }
        }
        while let Some(e) = client.poll_event() {
            events.push(e);
        }
        if quiet {
            break;
        }
    }
    (to_peers, events)
}

#[test]
fn webrtc_rs_turn_client_allocates_and_relays_to_the_media_address() {
    let now = Instant::now();
    let provider: Arc<dyn RTCCryptoProvider> = Arc::new(RingProvider::new());
    let secret = b"s3cret".to_vec();
    let creds = credentials::mint(provider.crypto(), &secret, UNIX0 + 3600, "page").unwrap();
    let mut server = TurnServer::new(
        TurnConfig {
            realm: "relay.test".into(),
            secret,
            allowed_peers: vec![media()],
            relay_ip: [198, 51, 100, 10].into(),
            relay_ports: 60_000..=60_099,
            limits: TurnLimits::default(),
        },
        now,
        UNIX0,
    )
    .unwrap();
    let mut client = Client::new(
        ClientConfig {
            turn_serv_addr: tuple().server.to_string(),
            local_addr: tuple().client,
            transport_protocol: TransportProtocol::UDP,
            username: creds.username,
            password: creds.password,
            ..Default::default()
        },
        Arc::clone(&provider),
    )
    .unwrap();

    client.allocate(now).unwrap();
    let (_, events) = pump(now, &mut client, &mut server, Vec::new());
    let relayed = match &events[..] {
        [Event::AllocateResponse(_, relayed)] => *relayed,
        other => panic!("{other:?}"),
    };
    assert!(server.is_relayed(relayed));

    client
        .relay(relayed)
        .unwrap()
        .create_permission(now, media())
        .unwrap();
    let (_, events) = pump(now, &mut client, &mut server, Vec::new());
    assert!(
        matches!(&events[..], [Event::CreatePermissionResponse(_, p)] if *p == media()),
        "{events:?}"
    );

    // A forbidden peer: the client sees its CreatePermission fail.
    let stranger: SocketAddr = ([192, 168, 1, 1], 22).into();
    client
        .relay(relayed)
        .unwrap()
        .create_permission(now, stranger)
        .unwrap();
    let (_, events) = pump(now, &mut client, &mut server, Vec::new());
    assert!(
        matches!(&events[..], [Event::CreatePermissionError(..)]),
        "{events:?}"
    );

    // The client's data reaches the media address from the relayed address (its first packet
    // goes as a Send indication while it binds a channel, later ones as ChannelData).
    let mut sent = Vec::new();
    for i in 0..3u8 {
        let later = now + Duration::from_millis(u64::from(i) * 10);
        client
            .relay(relayed)
            .unwrap()
            .send_to(later, &[i; 4], media())
            .unwrap();
        let (to_peers, _) = pump(later, &mut client, &mut server, Vec::new());
        sent.extend(to_peers);
    }
    for (i, out) in sent.iter().enumerate() {
        assert_eq!(
            *out,
            Output::ToPeer {
                relayed,
                to: media(),
                bytes: vec![i as u8; 4],
                client_transport: Transport::Udp,
            }
        );
    }
    assert_eq!(sent.len(), 3);

    // And the media address's answer comes back to the client.
    let back = server.handle_peer(now, relayed, media(), b"answer");
    let (_, events) = pump(now, &mut client, &mut server, back);
    match &events[..] {
        [Event::DataIndicationOrChannelData(_, from, data)] => {
            assert_eq!(*from, media());
            assert_eq!(&data[..], b"answer");
        }
        other => panic!("{other:?}"),
    }
}
