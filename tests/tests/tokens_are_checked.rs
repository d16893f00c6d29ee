//! Every connection's token is checked by the relay; refusals say why.

use relay::auth::{now_secs, Signer};
use shared::codec::encode_client;
use shared::ids::{ClassroomId, LessonId, PageId, Role};
use shared::protocol::{ClientMsg, CloseCode, PROTOCOL_VERSION};
use shared::token::Claims;
use tests::client::LessonClient;
use tests::relay::{TestRelay, LESSON};
use tokio_tungstenite::tungstenite::Message;

async fn refused(relay: &TestRelay, token: &str) -> (u16, String) {
    let mut c = LessonClient::connect(&relay.ws_url(LESSON), token, PageId(9), None).await;
    c.closed().await
}

#[tokio::test]
async fn forged_altered_expired_and_misdirected_tokens_are_refused() {
    let relay = TestRelay::start().await;
    let now = now_secs();
    let claims = Claims {
        lesson: LESSON,
        role: Role::Teacher,
        not_before: now - 60,
        expires: now + 3600,
        link: None,
    };

    let forged = Signer::new([1; 32]).mint(&claims);
    let (code, reason) = refused(&relay, &forged).await;
    assert_eq!(code, CloseCode::UNAUTHORIZED);
    assert!(reason.contains("signature"), "{reason}");

    // A classroom's token with its role swapped for the teacher's, keeping the signature.
    let classroom = relay.signer().mint(&Claims {
        role: Role::Classroom(ClassroomId(2)),
        ..claims.clone()
    });
    let sig = classroom.rsplit_once('.').unwrap().1;
    let swapped = claims.to_token(|_| vec![]);
    let altered = format!("{}.{sig}", swapped.rsplit_once('.').unwrap().0);
    assert!(refused(&relay, &altered).await.1.contains("signature"));

    let expired = relay.signer().mint(&Claims {
        expires: now - 1,
        ..claims.clone()
    });
    assert!(refused(&relay, &expired).await.1.contains("expired"));

    let early = relay.signer().mint(&Claims {
        not_before: now + 600,
        ..claims.clone()
    });
    assert!(refused(&relay, &early).await.1.contains("not valid yet"));

    let other_lesson = relay.signer().mint(&Claims {
        lesson: LessonId(99),
        ..claims.clone()
    });
    assert!(refused(&relay, &other_lesson).await.1.contains("lesson 99"));

    let (code, _) = refused(&relay, "not-a-token").await;
    assert_eq!(code, CloseCode::UNAUTHORIZED);

    // A classroom that is not part of this lesson.
    let stranger = relay.signer().mint(&Claims {
        role: Role::Classroom(ClassroomId(1)),
        ..claims.clone()
    });
    let (code, reason) = refused(&relay, &stranger).await;
    assert_eq!(code, CloseCode::UNAUTHORIZED);
    assert!(reason.contains("not part of lesson"), "{reason}");

    // After all that, a valid token still joins.
    let mut ok = LessonClient::connect(
        &relay.ws_url(LESSON),
        &relay.token(Role::Teacher),
        PageId(1),
        None,
    )
    .await;
    ok.until("the board", |c| !c.snapshots.is_empty()).await;
    assert!(
        ok.errors.is_empty() && ok.closed.is_none(),
        "{:?}",
        ok.errors
    );
}

#[tokio::test]
async fn a_client_of_another_protocol_version_is_told_so() {
    let relay = TestRelay::start().await;
    let mut c = LessonClient::connect(&relay.ws_url(LESSON), "x", PageId(1), None).await;
    // connect() already sent a Hello of this version with a bad token; use a fresh socket instead.
    c.disconnect().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(relay.ws_url(LESSON))
        .await
        .unwrap();
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION + 1,
        token: relay.token(Role::Teacher),
        page: PageId(1),
        resume: None,
    };
    use futures_util::{SinkExt, StreamExt};
    ws.send(Message::Binary(encode_client(&hello).into()))
        .await
        .unwrap();
    let mut close = None;
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Close(Some(f)) = m {
            close = Some((u16::from(f.code), f.reason.to_string()));
        }
    }
    let (code, reason) = close.expect("a close frame");
    assert_eq!(code, CloseCode::VERSION_MISMATCH);
    assert!(
        reason.contains(&format!("version {}", PROTOCOL_VERSION + 1)),
        "{reason}"
    );
}

#[tokio::test]
async fn a_lesson_that_does_not_exist_is_refused() {
    let relay = TestRelay::start().await;
    let token = relay.token_for(LessonId(404), Role::Teacher);
    let mut c = LessonClient::connect(&relay.ws_url(LessonId(404)), &token, PageId(1), None).await;
    let (code, reason) = c.closed().await;
    assert_eq!(code, CloseCode::NO_SUCH_LESSON);
    assert!(reason.contains("does not exist"), "{reason}");
}
