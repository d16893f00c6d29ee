//! Demo data: a master school with its teacher, three rural classrooms and a lesson open now.
//! Running it again refreshes the lesson's time window and keeps its board.

use crate::auth::{now_secs, Signer};
use crate::store::{Store, StoreError};
use shared::ids::{ClassroomId, LessonId, Role};
use shared::token::Claims;

pub const DEMO_LESSON: LessonId = LessonId(1);

/// The join links of the demo lesson.
pub struct DemoLinks {
    pub teacher: String,
    pub classrooms: Vec<(String, String)>,
    pub observer: String,
}

/// Seeds the demo; `extra_classrooms` more remote classrooms (in their own schools) join the lesson
/// beyond the three named ones (load tests and benchmarks use this).
pub async fn seed(store: &Store, extra_classrooms: u32) -> Result<(), StoreError> {
    let pool = store.pool();
    let now = now_secs() as i64;
    let mut tx = pool.begin().await?;
    let schools = [
        (1, "呼和浩特市第一中学", "新城区", "master"),
        (2, "武川县哈乐镇中心小学", "武川县", "remote"),
        (3, "四子王旗江岸苏木学校", "四子王旗", "remote"),
        (4, "察右后旗白音察干学校", "察哈尔右翼后旗", "remote"),
    ];
    for (id, name, county, kind) in schools {
        sqlx::query("INSERT INTO schools (id, name, county, kind) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
            .bind(id)
            .bind(name)
            .bind(county)
            .bind(kind)
            .execute(&mut *tx)
            .await?;
    }
    let classrooms = [
        (1, 1, "录播教室"),
        (2, 2, "五年级一班"),
        (3, 3, "五年级"),
        (4, 4, "五年级二班"),
    ];
    for (id, school, name) in classrooms {
        sqlx::query("INSERT INTO classrooms (id, school_id, name) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")
            .bind(id)
            .bind(school)
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("INSERT INTO teachers (id, school_id, name) VALUES (1, 1, '王老师') ON CONFLICT (id) DO NOTHING")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO lessons (id, title, subject, teacher_id, master_classroom_id, starts_at, ends_at)
         VALUES (1, '分数的加减法', '数学', 1, 1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at",
    )
    .bind(now - 5 * 60)
    .bind(now + 4 * 3600)
    .execute(&mut *tx)
    .await?;
    for classroom in [2, 3, 4] {
        sqlx::query("INSERT INTO lesson_classrooms (lesson_id, classroom_id) VALUES (1, ?) ON CONFLICT DO NOTHING")
            .bind(classroom)
            .execute(&mut *tx)
            .await?;
    }
    for k in 0..i64::from(extra_classrooms) {
        let (school, classroom) = (1000 + k, 1000 + k);
        sqlx::query("INSERT INTO schools (id, name, county, kind) VALUES (?, ?, '测试旗', 'remote') ON CONFLICT (id) DO NOTHING")
            .bind(school)
            .bind(format!("测试学校 {}", k + 1))
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO classrooms (id, school_id, name) VALUES (?, ?, '教室') ON CONFLICT (id) DO NOTHING")
            .bind(classroom)
            .bind(school)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO lesson_classrooms (lesson_id, classroom_id) VALUES (1, ?) ON CONFLICT DO NOTHING")
            .bind(classroom)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Links for the demo lesson, valid until it ends (plus an hour).
pub async fn links(store: &Store, signer: &Signer, base: &str) -> Result<DemoLinks, StoreError> {
    let info = store.lesson(DEMO_LESSON).await?.ok_or(StoreError::Corrupt(
        DEMO_LESSON,
        "demo lesson missing".into(),
    ))?;
    let link = |role| {
        let claims = Claims {
            lesson: DEMO_LESSON,
            role,
            not_before: (info.starts_at - 30 * 60).max(0) as u64,
            expires: (info.ends_at + 3600) as u64,
            link: None,
        };
        format!("{base}/lesson#token={}", signer.mint(&claims))
    };
    Ok(DemoLinks {
        teacher: link(Role::Teacher),
        classrooms: info
            .classrooms
            .iter()
            .map(|(id, name)| (name.clone(), link(Role::Classroom(ClassroomId(id.0)))))
            .collect(),
        observer: link(Role::Observer),
    })
}

/// The demo's bureau admin account (login `admin`). The password comes from
/// `TONGPIN_DEMO_ADMIN_PASSWORD`, else a fixed demo password; it is returned to be printed.
pub async fn seed_admin(store: &Store) -> Result<String, Box<dyn std::error::Error>> {
    let password = std::env::var("TONGPIN_DEMO_ADMIN_PASSWORD")
        .unwrap_or_else(|_| "tongpin-demo-admin".to_string());
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || crate::accounts::password::hash(&pw)).await??;
    store
        .upsert_account(
            "admin",
            "教育局管理员",
            &hash,
            crate::accounts::StaffRole::BureauAdmin,
        )
        .await?;
    // The three rural classrooms' computers (they open /classroom and join each lesson by themselves).
    for classroom in [2u64, 3, 4] {
        let role = crate::accounts::StaffRole::ClassroomDevice {
            classroom: ClassroomId(classroom),
        };
        store
            .upsert_account(
                &format!("classroom-{classroom}"),
                &format!("教室终端 {classroom}"),
                &hash,
                role,
            )
            .await?;
    }
    Ok(password)
}
