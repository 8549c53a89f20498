//! The records in PostgreSQL, for several `serve` processes (each on its
//! own machine, say) writing one set of records that `report`, `/stats` and
//! `/unanswered` read whole. `tokio-postgres` through a `deadpool` pool,
//! TLS by rustls with the web's root certificates (`sslmode` in the URL;
//! `prefer` by default). The schema version sits in `madoguchi_schema`,
//! migrated under an advisory lock so that processes starting together
//! migrate once.

use std::path::Path;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Transaction};
use futures_util::future::try_join_all;
use tokio_postgres::types::ToSql;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::old_files::OldFile;
use super::sql::{self, Batch, BatchKey, ReadQuestion, Row};
use super::{
    Asked, DayCounts, Location, QuestionRecord, RecordsError, Scope, ShownCount, Stats, Summary,
};
use crate::clock::now_secs;
use crate::data::Date;

/// The schema, one migration per version.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/1-records.sql"),
    include_str!("../../migrations/postgres/2-weekly-posts.sql"),
    include_str!("../../migrations/postgres/3-written-batches.sql"),
];

/// The key of the advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x6d61_646f_6775_6368;

/// Connections kept per process.
const POOL_SIZE: usize = 4;

/// A PostgreSQL database of records.
#[derive(Clone)]
pub struct Postgres {
    url: String,
    pool: Pool,
}

type Param<'a> = &'a (dyn ToSql + Sync);

/// TLS to the server: the public roots, and the CA of `root_cert` (PEM)
/// for a server whose certificate a CA of its own signed (Debian's
/// default is a self-signed one).
fn tls(root_cert: Option<&Path>) -> std::io::Result<MakeRustlsConnect> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = root_cert {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| std::io::Error::other(format!("not a PEM certificate file: {e}")))?;
        for cert in certs {
            let cert =
                cert.map_err(|e| std::io::Error::other(format!("not a PEM certificate: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| std::io::Error::other(format!("not a CA certificate: {e}")))?;
        }
    }
    Ok(MakeRustlsConnect::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

impl Postgres {
    /// Connects (failing with [`RecordsError::Unreachable`] when it cannot)
    /// and brings the schema up to date.
    pub async fn open(url: &str) -> Result<Postgres, RecordsError> {
        let (plain, root_cert) = super::split_root_cert(url);
        let mut config: tokio_postgres::Config = plain
            .parse()
            .map_err(|_| RecordsError::Url(Location::Postgres(url.into()).to_string()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let tls = tls(root_cert.as_deref()).map_err(|source| RecordsError::Io {
            path: root_cert.clone().unwrap_or_default(),
            source,
        })?;
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| RecordsError::Database {
                location: Location::Postgres(url.into()).to_string(),
                cause: super::causes(&e),
            })?;
        let pg = Postgres {
            url: url.to_string(),
            pool,
        };
        pg.migrate().await?;
        Ok(pg)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn shown(&self) -> String {
        Location::Postgres(self.url.clone()).to_string()
    }

    fn db(&self, e: impl std::error::Error + Send + Sync + 'static) -> RecordsError {
        RecordsError::Database {
            location: self.shown(),
            cause: super::causes(&e),
        }
    }

    async fn client(&self) -> Result<Object, RecordsError> {
        self.pool
            .get()
            .await
            .map_err(|e| RecordsError::Unreachable {
                location: self.shown(),
                cause: super::causes(&e),
            })
    }

    async fn migrate(&self) -> Result<(), RecordsError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.db(e))?;
        tx.batch_execute(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK}); \
             CREATE TABLE IF NOT EXISTS madoguchi_schema (version BIGINT NOT NULL)"
        ))
        .await
        .map_err(|e| self.db(e))?;
        let found: i64 = match tx
            .query_opt("SELECT version FROM madoguchi_schema", &[])
            .await
            .map_err(|e| self.db(e))?
        {
            Some(row) => row.get(0),
            None => {
                tx.execute("INSERT INTO madoguchi_schema (version) VALUES (0)", &[])
                    .await
                    .map_err(|e| self.db(e))?;
                0
            }
        };
        let known = MIGRATIONS.len() as i64;
        if found > known {
            return Err(RecordsError::SchemaTooNew {
                location: self.shown(),
                found,
                known,
            });
        }
        for sql in &MIGRATIONS[found as usize..] {
            tx.batch_execute(sql).await.map_err(|e| self.db(e))?;
        }
        tx.execute("UPDATE madoguchi_schema SET version = $1", &[&known])
            .await
            .map_err(|e| self.db(e))?;
        tx.commit().await.map_err(|e| self.db(e))
    }

    pub(crate) async fn write(&self, key: &BatchKey, batch: &Batch) -> Result<(), RecordsError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.db(e))?;
        let now = now_secs() as i64;
        let marked = tx
            .execute(sql::MARK_BATCH, &[&key.as_str(), &now])
            .await
            .map_err(|e| self.db(e))?;
        if marked == 0 {
            return Ok(()); // written before: its commit's answer was lost
        }
        write_rows(&tx, batch).await.map_err(|e| self.db(e))?;
        write_aggregates(&tx, batch).await.map_err(|e| self.db(e))?;
        tx.commit().await.map_err(|e| self.db(e))
    }

    pub(crate) async fn import(
        &self,
        mut file: OldFile,
        path: &Path,
        hash: &str,
    ) -> Result<(u64, u64), RecordsError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.db(e))?;
        let seen: i64 = tx
            .query_one(sql::IMPORTED, &[&hash])
            .await
            .map_err(|e| self.db(e))?
            .get(0);
        if seen > 0 {
            return Ok((0, 0));
        }
        let now = now_secs();
        let mut batch = Batch::default();
        let mut records = 0u64;
        while file.next_into(&mut batch, now)? {
            records += batch.rows.len() as u64;
            write_rows(&tx, &batch).await.map_err(|e| self.db(e))?;
        }
        batch.rows.clear();
        let skipped = file.skipped();
        batch.aggregates.skipped = skipped as i64;
        write_aggregates(&tx, &batch)
            .await
            .map_err(|e| self.db(e))?;
        let name = path.display().to_string();
        let params: [Param<'_>; 5] = [
            &hash,
            &name,
            &(records as i64),
            &(skipped as i64),
            &(now as i64),
        ];
        tx.execute(sql::MARK_IMPORTED, &params)
            .await
            .map_err(|e| self.db(e))?;
        tx.commit().await.map_err(|e| self.db(e))?;
        file.finish();
        Ok((records, skipped))
    }

    pub(crate) async fn unanswered(
        &self,
        n: usize,
        scope: Scope,
    ) -> Result<Vec<((i64, i64), QuestionRecord)>, RecordsError> {
        let client = self.client().await?;
        let n = n as i64;
        let home = scope.home as i64;
        let mut rows = client
            .query(&sql::unanswered_in_guild(), &[&home, &n])
            .await
            .map_err(|e| self.db(e))?;
        rows.extend(
            client
                .query(&sql::unanswered_without_guild(), &[&n])
                .await
                .map_err(|e| self.db(e))?,
        );
        Ok(rows.iter().map(|r| read_question(r).record()).collect())
    }

    pub(crate) async fn days(
        &self,
        scope: Option<Scope>,
    ) -> Result<Vec<(Date, DayCounts)>, RecordsError> {
        let client = self.client().await?;
        let rows = match scope {
            Some(s) => {
                let home = s.home as i64;
                client.query(sql::DAYS_IN_SCOPE, &[&home]).await
            }
            None => client.query(sql::REPORT_DAYS, &[]).await,
        }
        .map_err(|e| self.db(e))?;
        Ok(rows.iter().map(day_counts).collect())
    }

    pub(crate) async fn stats(&self, top: usize, scope: Scope) -> Result<Stats, RecordsError> {
        let client = self.client().await?;
        let home = scope.home as i64;
        let db = |e| self.db(e);
        let counts = client
            .query_one(sql::STATS_COUNTS, &[&home])
            .await
            .map_err(db)?;
        let mut stats = Stats {
            questions: counts.get::<_, i64>(0) as u64,
            unanswered: counts.get::<_, i64>(1) as u64,
            did_you_mean: counts.get::<_, i64>(2) as u64,
            ..Stats::default()
        };
        for r in client.query(sql::STATS_VOTES, &[&home]).await.map_err(db)? {
            let n = r.get::<_, i64>(1) as u64;
            match r.get::<_, &str>(0) {
                "up" => stats.up = n,
                "down" => stats.down = n,
                _ => {}
            }
        }
        stats.top = client
            .query(sql::STATS_TOP, &[&home, &(top as i64)])
            .await
            .map_err(db)?
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            .collect();
        Ok(stats)
    }

    pub(crate) async fn summary(&self) -> Result<Summary, RecordsError> {
        let mut client = self.client().await?;
        let db = |e| self.db(e);
        let tx = client
            .build_transaction()
            .read_only(true)
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .start()
            .await
            .map_err(db)?;
        let mut s = Summary::default();
        for r in tx.query(sql::REPORT_DAYS, &[]).await.map_err(db)? {
            s.days.push(day_counts(&r));
        }
        s.programmes = tx
            .query(sql::REPORT_SHOWN, &[])
            .await
            .map_err(db)?
            .iter()
            .map(|r| ShownCount {
                id: r.get(0),
                first: r.get::<_, i64>(1) as u64,
                shown: r.get::<_, i64>(2) as u64,
            })
            .collect();
        s.unanswered = tx
            .query(sql::REPORT_UNANSWERED, &[])
            .await
            .map_err(db)?
            .iter()
            .map(|r| Asked {
                query: r.get(0),
                count: r.get::<_, i64>(1) as u64,
                last: r.get::<_, i64>(2) as u64,
            })
            .collect();
        s.votes = tx
            .query(sql::REPORT_VOTES, &[])
            .await
            .map_err(db)?
            .iter()
            .filter_map(|r| {
                sql::VoteRow {
                    ts: r.get(0),
                    answer: r.get(1),
                    vote: r.get(2),
                    guild: r.get(3),
                    voter: r.get(4),
                    query: r.get(5),
                    shown: r.get(6),
                    faq: r.get(7),
                }
                .record()
            })
            .collect();
        for r in tx.query(sql::REPORT_ANOMALIES, &[]).await.map_err(db)? {
            let n = r.get::<_, i64>(1) as usize;
            match r.get::<_, &str>(0) {
                sql::SKIPPED => s.skipped = n,
                sql::OUT_OF_RANGE => s.out_of_range = n,
                _ => {}
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(s)
    }

    pub(crate) async fn claim_week(&self, week: String, now: u64) -> Result<bool, RecordsError> {
        let client = self.client().await?;
        let now = now as i64;
        let n = client
            .execute(sql::CLAIM_WEEK, &[&week, &now])
            .await
            .map_err(|e| self.db(e))?;
        Ok(n == 1)
    }

    pub(crate) async fn release_week(&self, week: String) -> Result<(), RecordsError> {
        let client = self.client().await?;
        client
            .execute(sql::RELEASE_WEEK, &[&week])
            .await
            .map_err(|e| self.db(e))?;
        Ok(())
    }

    pub(crate) async fn forget(
        &self,
        questions_before: Option<u64>,
        keys_before: u64,
    ) -> Result<u64, RecordsError> {
        let mut client = self.client().await?;
        let db = |e| self.db(e);
        let tx = client.transaction().await.map_err(db)?;
        tx.execute(sql::FORGET_BATCHES, &[&(keys_before as i64)])
            .await
            .map_err(db)?;
        let mut n = 0;
        if let Some(ts) = questions_before {
            let ts = ts as i64;
            n = tx
                .execute(sql::FORGET_QUESTIONS, &[&ts])
                .await
                .map_err(db)?;
            tx.execute(sql::FORGET_VOTE_TEXT, &[&ts])
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(n)
    }
}

/// The rows of a batch, sent pipelined (in order) on one connection.
async fn write_rows(tx: &Transaction<'_>, batch: &Batch) -> Result<(), tokio_postgres::Error> {
    let question = tx.prepare_cached(sql::INSERT_QUESTION).await?;
    let vote = tx.prepare_cached(sql::UPSERT_VOTE).await?;
    let writes = batch.rows.iter().map(|row| {
        let (statement, params): (_, Vec<Param<'_>>) = match row {
            Row::Question(q) => (
                &question,
                vec![
                    &q.ts,
                    &q.day,
                    &q.answer,
                    &q.source,
                    &q.guild,
                    &q.query,
                    &q.answered,
                    &q.sure,
                    &q.decision,
                    &q.confidence,
                    &q.shown,
                    &q.faq,
                ],
            ),
            Row::Vote(v) => (
                &vote,
                vec![
                    &v.ts, &v.answer, &v.vote, &v.guild, &v.voter, &v.query, &v.shown, &v.faq,
                ],
            ),
        };
        async move { tx.execute(statement, &params).await }
    });
    try_join_all(writes).await?;
    Ok(())
}

async fn write_aggregates(
    tx: &Transaction<'_>,
    batch: &Batch,
) -> Result<(), tokio_postgres::Error> {
    let a = &batch.aggregates;
    let daily = tx.prepare_cached(sql::ADD_DAILY).await?;
    for ((day, guild), c) in &a.daily {
        let counts = [
            c.questions as i64,
            c.answered as i64,
            c.did_you_mean as i64,
            c.unanswered as i64,
            c.out_of_scope as i64,
        ];
        tx.execute(
            &daily,
            &[
                day, guild, &counts[0], &counts[1], &counts[2], &counts[3], &counts[4],
            ],
        )
        .await?;
    }
    let shown = tx.prepare_cached(sql::ADD_SHOWN).await?;
    for ((day, guild, measure), (first, n)) in &a.shown {
        tx.execute(&shown, &[day, guild, measure, first, n]).await?;
    }
    for (kind, n) in batch.anomalies() {
        tx.execute(sql::ADD_ANOMALY, &[&kind, &n]).await?;
    }
    Ok(())
}

fn read_question(r: &tokio_postgres::Row) -> ReadQuestion {
    ReadQuestion {
        id: r.get(0),
        ts: r.get(1),
        answer: r.get(2),
        source: r.get(3),
        guild: r.get(4),
        query: r.get(5),
        answered: r.get(6),
        sure: r.get(7),
        decision: r.get(8),
        confidence: r.get(9),
        shown: r.get(10),
        faq: r.get(11),
    }
}

/// A row of [`sql::REPORT_DAYS`] or [`sql::DAYS_IN_SCOPE`].
fn day_counts(r: &tokio_postgres::Row) -> (Date, DayCounts) {
    let n = |i| r.get::<_, i64>(i) as u64;
    let counts = DayCounts {
        questions: n(1),
        answered: n(2),
        did_you_mean: n(3),
        unanswered: n(4),
        out_of_scope: n(5),
    };
    (Date::from_days(r.get(0)), counts)
}
