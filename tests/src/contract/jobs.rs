//! The `JobQueue` contract: claims, leases, outcomes, dedupe keys, retries, and
//! concurrent claims that never hand one job out twice.

use std::collections::HashSet;

use application::RepositoryError;
use application::audit::AuditFilter;
use application::paging::PageRequest;
use application::ports::{Job, JobStatus, NewJob, Outcome};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::Ports;
use super::fixtures::{at, event, uid};

/// Runs every case on a fresh, empty store.
pub async fn run(p: &Ports) {
    claims_due_jobs_under_a_lease(p).await;
    outcomes_are_conditional_on_the_lease(p).await;
    retries_wait_for_their_time(p).await;
    an_expired_lease_is_claimed_again(p).await;
    a_lease_lost_on_the_last_attempt_is_dead(p).await;
    release_gives_the_attempt_back(p).await;
    dedupe_keys_store_one_job(p).await;
    dead_jobs_are_listed_and_retried_once(p).await;
    concurrent_claims_never_share_a_job(p).await;
}

fn job(n: u128, run_at: DateTime<Utc>, max_attempts: u32) -> NewJob {
    NewJob {
        max_attempts,
        run_at,
        ..NewJob::now(uid(n), "test.job", serde_json::json!({ "n": n.to_string(), "nested": [1, null] }), at(0))
    }
}

fn lease_of(j: &Job) -> Uuid {
    j.lease.expect("a claimed job has a lease").id
}

async fn claims_due_jobs_under_a_lease(p: &Ports) {
    assert!(p.jobs.claim(at(100), at(110), 10).await.unwrap().is_empty(), "an empty queue");
    let later = job(0x1002, at(200), 3);
    let now = job(0x1001, at(50), 3);
    assert!(p.jobs.enqueue(&later).await.unwrap());
    assert!(p.jobs.enqueue(&now).await.unwrap());
    assert!(matches!(p.jobs.enqueue(&now).await, Err(RepositoryError::Conflict(_))), "an id is stored once");
    let stored = p.jobs.find(now.id).await.unwrap().unwrap();
    assert_eq!((stored.status, stored.attempts, stored.lease), (JobStatus::Queued, 0, None));
    assert_eq!((stored.payload.clone(), stored.run_at, stored.max_attempts), (now.payload.clone(), at(50), 3));

    let claimed = p.jobs.claim(at(100), at(110), 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "only due jobs");
    let c = &claimed[0];
    assert_eq!((c.id, c.status, c.attempts), (now.id, JobStatus::Running, 1));
    assert_eq!(c.lease.unwrap().until, at(110));
    assert_eq!(c.payload, now.payload);
    assert!(p.jobs.claim(at(105), at(115), 10).await.unwrap().is_empty(), "a leased job is not handed out again");

    p.jobs.extend(c.id, lease_of(c), at(150)).await.unwrap();
    assert!(p.jobs.claim(at(120), at(130), 10).await.unwrap().is_empty(), "the extended lease holds");
    assert_eq!(p.jobs.find(c.id).await.unwrap().unwrap().lease.unwrap().until, at(150));
    p.jobs.finish(c.id, lease_of(c), &Outcome::Done, at(121)).await.unwrap();
    let done = p.jobs.find(c.id).await.unwrap().unwrap();
    assert_eq!((done.status, done.lease, done.updated_at), (JobStatus::Done, None, at(121)));

    // The later job, claimed at its time, and finished.
    let claimed = p.jobs.claim(at(200), at(210), 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), [later.id]);
    p.jobs.finish(later.id, lease_of(&claimed[0]), &Outcome::Done, at(201)).await.unwrap();
}

async fn outcomes_are_conditional_on_the_lease(p: &Ports) {
    p.jobs.enqueue(&job(0x2001, at(300), 3)).await.unwrap();
    let c = p.jobs.claim(at(300), at(310), 1).await.unwrap().remove(0);
    let wrong = Uuid::from_u128(0xdead);
    assert!(matches!(p.jobs.finish(c.id, wrong, &Outcome::Done, at(301)).await, Err(RepositoryError::Stale)));
    assert!(matches!(p.jobs.extend(c.id, wrong, at(400)).await, Err(RepositoryError::Stale)));
    p.jobs.finish(c.id, lease_of(&c), &Outcome::Dead { error: "no such enquiry".into() }, at(302)).await.unwrap();
    assert!(
        matches!(p.jobs.finish(c.id, lease_of(&c), &Outcome::Done, at(303)).await, Err(RepositoryError::Stale)),
        "a finished claim cannot be finished again"
    );
    let dead = p.jobs.find(c.id).await.unwrap().unwrap();
    assert_eq!((dead.status, dead.last_error.as_deref()), (JobStatus::Dead, Some("no such enquiry")));
    assert!(matches!(p.jobs.finish(uid(0x2999), wrong, &Outcome::Done, at(303)).await, Err(RepositoryError::Stale)));
}

async fn retries_wait_for_their_time(p: &Ports) {
    p.jobs.enqueue(&job(0x3001, at(400), 3)).await.unwrap();
    let c = p.jobs.claim(at(400), at(410), 1).await.unwrap().remove(0);
    let retry = Outcome::Retry { error: "smtp: connection refused".into(), retry_at: at(460) };
    p.jobs.finish(c.id, lease_of(&c), &retry, at(401)).await.unwrap();
    let queued = p.jobs.find(c.id).await.unwrap().unwrap();
    assert_eq!((queued.status, queued.run_at, queued.attempts), (JobStatus::Queued, at(460), 1));
    assert_eq!(queued.last_error.as_deref(), Some("smtp: connection refused"));
    assert!(p.jobs.claim(at(459), at(469), 5).await.unwrap().is_empty(), "not before retry_at");
    let again = p.jobs.claim(at(460), at(470), 5).await.unwrap();
    assert_eq!((again[0].id, again[0].attempts), (c.id, 2));
    assert_ne!(lease_of(&again[0]), lease_of(&c), "every claim has its own lease");
    p.jobs.finish(c.id, lease_of(&again[0]), &Outcome::Done, at(461)).await.unwrap();
}

async fn an_expired_lease_is_claimed_again(p: &Ports) {
    p.jobs.enqueue(&job(0x4001, at(500), 3)).await.unwrap();
    let first = p.jobs.claim(at(500), at(510), 1).await.unwrap().remove(0);
    assert!(p.jobs.claim(at(510), at(520), 1).await.unwrap().is_empty(), "the lease runs to its end");
    let second = p.jobs.claim(at(511), at(521), 1).await.unwrap().remove(0);
    assert_eq!((second.id, second.attempts), (first.id, 2), "after the lease, with an attempt counted");
    assert!(
        matches!(p.jobs.finish(first.id, lease_of(&first), &Outcome::Done, at(512)).await, Err(RepositoryError::Stale)),
        "the first worker's late result is refused"
    );
    assert!(matches!(p.jobs.extend(first.id, lease_of(&first), at(600)).await, Err(RepositoryError::Stale)));
    p.jobs.finish(second.id, lease_of(&second), &Outcome::Done, at(513)).await.unwrap();
    assert_eq!(p.jobs.find(first.id).await.unwrap().unwrap().status, JobStatus::Done);
}

async fn a_lease_lost_on_the_last_attempt_is_dead(p: &Ports) {
    p.jobs.enqueue(&job(0x5001, at(600), 1)).await.unwrap();
    let c = p.jobs.claim(at(600), at(610), 1).await.unwrap().remove(0);
    assert!(p.jobs.claim(at(611), at(621), 5).await.unwrap().is_empty(), "no attempts left");
    let dead = p.jobs.find(c.id).await.unwrap().unwrap();
    assert_eq!((dead.status, dead.lease, dead.attempts), (JobStatus::Dead, None, 1));
    assert!(dead.last_error.unwrap().contains("lease"), "the reason is recorded");
}

async fn release_gives_the_attempt_back(p: &Ports) {
    p.jobs.enqueue(&job(0x6001, at(700), 2)).await.unwrap();
    let c = p.jobs.claim(at(700), at(710), 1).await.unwrap().remove(0);
    p.jobs.finish(c.id, lease_of(&c), &Outcome::Release, at(701)).await.unwrap();
    let back = p.jobs.find(c.id).await.unwrap().unwrap();
    assert_eq!((back.status, back.attempts, back.run_at, back.lease), (JobStatus::Queued, 0, at(701), None));
    let again = p.jobs.claim(at(701), at(711), 1).await.unwrap().remove(0);
    assert_eq!(again.attempts, 1);
    p.jobs.finish(c.id, lease_of(&again), &Outcome::Done, at(702)).await.unwrap();
}

async fn dedupe_keys_store_one_job(p: &Ports) {
    let key = Some("test.sweep@2026-09-01T03:00:00+00:00".to_owned());
    let a = NewJob { dedupe_key: key.clone(), ..job(0x7001, at(800), 3) };
    let b = NewJob { dedupe_key: key.clone(), ..job(0x7002, at(800), 3) };
    assert!(p.jobs.enqueue(&a).await.unwrap());
    assert!(!p.jobs.enqueue(&b).await.unwrap(), "the second enqueue of a slot stores nothing");
    assert!(p.jobs.find(b.id).await.unwrap().is_none());
    let c = p.jobs.claim(at(800), at(810), 5).await.unwrap().remove(0);
    p.jobs.finish(c.id, lease_of(&c), &Outcome::Done, at(801)).await.unwrap();
    assert!(!p.jobs.enqueue(&b).await.unwrap(), "not even after the first one is done");
    assert_eq!(p.jobs.find(a.id).await.unwrap().unwrap().dedupe_key, key);
}

async fn dead_jobs_are_listed_and_retried_once(p: &Ports) {
    let dead = p.jobs.list(Some(JobStatus::Dead), PageRequest::first(10)).await.unwrap();
    let ids: Vec<u128> = dead.items.iter().map(|j| j.id.as_u128()).collect();
    assert_eq!(ids, [0x5001, 0x2001], "dead jobs, most recently changed first");
    let all = p.jobs.list(None, PageRequest::first(50)).await.unwrap();
    assert_eq!(all.items.len(), 8);
    let first = p.jobs.list(None, PageRequest::first(3)).await.unwrap();
    let rest = p.jobs.list(None, PageRequest { after: first.next, size: 50 }).await.unwrap();
    let paged: Vec<_> = first.items.iter().chain(&rest.items).map(|j| j.id).collect();
    assert_eq!(paged, all.items.iter().map(|j| j.id).collect::<Vec<_>>(), "pages join up");

    let audit = event(0xA701, "job.retry", ("job", uid(0x2001).to_string()), at(900));
    p.jobs.retry(uid(0x2001), at(900), &audit).await.unwrap();
    let queued = p.jobs.find(uid(0x2001)).await.unwrap().unwrap();
    assert_eq!((queued.status, queued.attempts, queued.run_at), (JobStatus::Queued, 0, at(900)));
    let trail = p.audit.list(&AuditFilter::default(), PageRequest::first(50)).await.unwrap();
    assert!(trail.items.contains(&audit), "the retry is audited");
    let again = event(0xA702, "job.retry", ("job", uid(0x2001).to_string()), at(901));
    assert!(matches!(p.jobs.retry(uid(0x2001), at(901), &again).await, Err(RepositoryError::Stale)), "only dead jobs");
    assert!(matches!(p.jobs.retry(uid(0x2999), at(901), &again).await, Err(RepositoryError::Stale)));
    let trail = p.audit.list(&AuditFilter::default(), PageRequest::first(50)).await.unwrap();
    assert!(!trail.items.contains(&again), "a refused retry records nothing");
    let c = p.jobs.claim(at(900), at(910), 5).await.unwrap();
    assert_eq!((c[0].id, c[0].attempts), (uid(0x2001), 1));
    p.jobs.finish(c[0].id, lease_of(&c[0]), &Outcome::Done, at(902)).await.unwrap();
}

async fn concurrent_claims_never_share_a_job(p: &Ports) {
    for n in 0..60u128 {
        p.jobs
            .enqueue(&job(0x9000 + n, at(1000) + Duration::milliseconds(i64::try_from(n).unwrap()), 3))
            .await
            .unwrap();
    }
    let claims = (0..8).map(|_| {
        let jobs = p.jobs.clone();
        tokio::spawn(async move { jobs.claim(at(1001), at(1100), 10).await.unwrap() })
    });
    let mut seen = HashSet::new();
    let mut total = 0;
    for c in futures::future::join_all(claims).await {
        for j in c.unwrap() {
            total += 1;
            assert!(seen.insert(j.id), "job {} claimed twice", j.id);
        }
    }
    assert_eq!(total, 60, "eight claims of ten take all sixty jobs, each once");
}
