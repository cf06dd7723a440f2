//! `Application::build` turns a `Config` into a bound, ready-to-run server; the binary
//! and the black-box tests use the same path (tests bind port 0).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use application::accounts::{AccountPorts, ChangePassword, CurrentUser, EndSessions, Login, Register};
use application::cities::{AddArea, ChangeArea, ChangeCity, CityPorts, CreateCity, ListAllCities};
use application::enquiries::{EnquiryPorts, MyEnquiries, SendEnquiry, SetEnquiryStatus};
use application::health::{CacheProbe, CheckReadiness, Criticality, StorageProbe};
use application::listings::{
    ArchiveListing, CitiesWithCounts, CreateListing, DeleteListing, GetListing, ListingPorts, MarkListingLet,
    MyListings, PublishListing, SearchListings, SiteCounters, UpdateListing,
};
use application::moderation::{ListUsers, ModerationPorts, ReadAuditTrail, SetSuspension, UnpublishListing};
use application::ports::{
    AuditLog, BlobStore, Cache, CityFilter, CityRepository, Clock, EnquiryRepository, HealthProbe, IdGen, JobQueue,
    ListingRepository, PasswordHasher, ShortlistRepository, SystemClock, UserRepository, UuidV7,
};
use application::shortlist::{MyShortlist, RemoveSavedListing, SaveListing};
use migrations::{Migrator, MigratorTrait};
use probes::TimedProbe;
use secrecy::ExposeSecret;
use sp_blob::{ObjectBlobStore, StoreOptions};
use sp_sql::{
    DatabaseConnection, DatabaseHealth, DbConfig, SqlAuditLog, SqlCityRepository, SqlEnquiryRepository,
    SqlListingRepository, SqlShortlistRepository, SqlUserRepository,
};

use crate::config::{AppEnv, Config};

/// The adapters behind the ports, as wired for this configuration.
#[derive(Clone)]
pub struct Dependencies {
    pub db: DatabaseConnection,
    pub cities: Arc<dyn CityRepository>,
    pub users: Arc<dyn UserRepository>,
    pub listings: Arc<dyn ListingRepository>,
    pub shortlist: Arc<dyn ShortlistRepository>,
    pub enquiries: Arc<dyn EnquiryRepository>,
    pub jobs: Arc<dyn JobQueue>,
    pub audit: Arc<dyn AuditLog>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdGen>,
    pub blobs: Arc<dyn BlobStore>,
    pub cache: Arc<dyn Cache>,
    /// Redis shared by every instance (with this instance's limiter standing in while
    /// Redis is down), or this instance's alone without `REDIS_URL`.
    pub rate_limiter: Arc<dyn application::ports::RateLimiter>,
    /// The quota of each limit (`RATE_LIMITS`) and the key subjects are hashed with.
    pub rate_limits: application::rate_limit::Limits,
    pub rate_limit_key: Vec<u8>,
    pub photos: Arc<dyn application::ports::PhotoRepository>,
    pub images: Arc<dyn application::ports::ImageProcessor>,
    /// Public and signed media URLs (`MEDIA_BASE_URL`).
    pub media: application::media_url::MediaUrls,
    /// The largest photo accepted (`MAX_UPLOAD_BYTES`).
    pub max_upload_bytes: usize,
    /// Server-side sessions (`SESSION_STORE=redis`), or none (cookie sessions).
    pub sessions: application::accounts::ServerSessions,
    /// These repositories read a replica (`DATABASE_READ_URL`): their cached values are
    /// kept apart from the primary's.
    pub replica: bool,
}

impl Dependencies {
    /// The SQL repositories, the password hasher, clock and id generator on `db`.
    pub fn sql(
        db: DatabaseConnection,
        blobs: Arc<dyn BlobStore>,
        cache: Arc<dyn Cache>,
        media: application::media_url::MediaUrls,
    ) -> Self {
        Self {
            photos: Arc::new(sp_sql::SqlPhotoRepository::new(db.clone())),
            images: Arc::new(sp_images::Images::new(
                sp_images::ImageLimits::default(),
                sp_images::Images::default_concurrency(),
                Duration::from_secs(5),
            )),
            media,
            max_upload_bytes: 15 * 1024 * 1024,
            cities: Arc::new(SqlCityRepository::new(db.clone())),
            users: Arc::new(SqlUserRepository::new(db.clone())),
            listings: Arc::new(SqlListingRepository::new(db.clone())),
            shortlist: Arc::new(SqlShortlistRepository::new(db.clone())),
            enquiries: Arc::new(SqlEnquiryRepository::new(db.clone())),
            jobs: Arc::new(sp_sql::SqlJobQueue::new(db.clone())),
            audit: Arc::new(SqlAuditLog::new(db.clone())),
            hasher: Arc::new(sp_crypto::Argon2Hasher::default()),
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
            db,
            blobs,
            cache,
            rate_limiter: Arc::new(sp_governor::InProcessRateLimiter::default()),
            rate_limits: application::rate_limit::Limits::default(),
            rate_limit_key: rand::random::<[u8; 32]>().to_vec(),
            sessions: application::accounts::ServerSessions::default(),
            replica: false,
        }
    }

    /// The ports of the account use cases (and `admin create`).
    pub fn account_ports(&self) -> AccountPorts {
        AccountPorts {
            users: self.users.clone(),
            hasher: self.hasher.clone(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
            sessions: self.sessions.clone(),
        }
    }

    /// The ports of the listing use cases (and the HMO sweep).
    pub fn listing_ports(&self) -> ListingPorts {
        ListingPorts {
            listings: self.listings.clone(),
            cities: self.cities.clone(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
            public: self.public_version(),
        }
    }

    /// The version of what the public sees, kept in the cache (`cached::PublicVersion`).
    pub fn public_version(&self) -> application::cached::PublicVersion {
        let v = application::cached::PublicVersion::new(self.cache.clone());
        if self.replica { v.on_replica() } else { v }
    }

    /// The listing page's use case on these adapters.
    fn get_listing(&self) -> GetListing {
        GetListing::new(self.listing_ports(), self.users.clone()).with_gallery(self.photos.clone(), self.media.clone())
    }

    /// The reads a replica may serve, on these adapters (`sp_http::replica`).
    pub fn reads(&self, counts_ttl: Duration) -> sp_http::replica::Reads {
        let listings = self.listing_ports();
        sp_http::replica::Reads {
            cities_with_counts: CitiesWithCounts::new(listings.clone(), self.cache.clone(), counts_ttl),
            stats: SiteCounters::new(listings.clone(), self.cache.clone(), counts_ttl),
            search: SearchListings::new(listings, self.cache.clone(), Duration::from_secs(60))
                .with_covers(self.photos.clone(), self.media.clone()),
            get_listing: self.get_listing(),
        }
    }

    /// The use cases the HTTP adapter serves, wired to these adapters (every read on
    /// the primary: `Application::build` adds the replica).
    pub fn services(&self, readiness: CheckReadiness, counts_ttl: Duration) -> sp_http::Services {
        let accounts = self.account_ports();
        let listings = self.listing_ports();
        let get_listing = self.get_listing();
        let enquiries = EnquiryPorts {
            enquiries: self.enquiries.clone(),
            get_listing: get_listing.clone(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
        };
        let moderation = ModerationPorts {
            users: self.users.clone(),
            audit: self.audit.clone(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
            sessions: self.sessions.clone(),
            public: self.public_version(),
        };
        let cities = self.city_ports();
        sp_http::Services {
            readiness,
            register: Register::new(accounts.clone()),
            login: Login::new(accounts.clone()),
            end_sessions: EndSessions::new(accounts.clone()),
            change_password: ChangePassword::new(accounts),
            current_user: CurrentUser::new(self.users.clone(), self.clock.clone()),
            reads: self.reads(counts_ttl),
            replica: None,
            my_listings: MyListings::new(listings.clone()),
            create_listing: CreateListing::new(listings.clone()),
            update_listing: UpdateListing::new(listings.clone()),
            publish_listing: PublishListing::new(listings.clone(), self.photos.clone()),
            archive_listing: ArchiveListing::new(listings.clone()),
            mark_listing_let: MarkListingLet::new(listings.clone()),
            delete_listing: DeleteListing::new(listings.clone()),
            unpublish_listing: UnpublishListing::new(listings),
            save_listing: SaveListing::new(self.shortlist.clone(), get_listing.clone(), self.clock.clone()),
            remove_saved_listing: RemoveSavedListing::new(self.shortlist.clone()),
            my_shortlist: MyShortlist::new(self.shortlist.clone(), self.clock.clone())
                .with_covers(self.photos.clone(), self.media.clone()),
            send_enquiry: SendEnquiry::new(enquiries.clone()),
            set_enquiry_status: SetEnquiryStatus::new(enquiries.clone()),
            my_enquiries: MyEnquiries::new(enquiries),
            set_suspension: SetSuspension::new(moderation.clone()),
            list_users: ListUsers::new(moderation.clone()),
            audit_trail: ReadAuditTrail::new(moderation),
            list_all_cities: ListAllCities::new(cities.clone()),
            create_city: CreateCity::new(cities.clone()),
            change_city: ChangeCity::new(cities.clone()),
            add_area: AddArea::new(cities.clone()),
            change_area: ChangeArea::new(cities),
            list_jobs: application::jobs::ListJobs::new(self.job_ports()),
            upload_photo: application::photos::UploadPhoto::new(self.photo_ports()),
            list_photos: application::photos::ListPhotos::new(self.photo_ports()),
            reorder_photos: application::photos::ReorderPhotos::new(self.photo_ports()),
            delete_photo: application::photos::DeletePhoto::new(self.photo_ports()),
            serve_media: application::photos::ServeMedia::new(self.photo_ports()),
            max_upload_bytes: self.max_upload_bytes,
            retry_job: application::jobs::RetryJob::new(self.job_ports()),
            throttle: application::rate_limit::Throttle::new(
                self.rate_limiter.clone(),
                self.rate_limits.clone(),
                &self.rate_limit_key,
            ),
        }
    }

    /// The ports of the photo use cases (and the processing job).
    pub fn photo_ports(&self) -> application::photos::PhotoPorts {
        application::photos::PhotoPorts {
            photos: self.photos.clone(),
            blobs: self.blobs.clone(),
            images: self.images.clone(),
            get_listing: GetListing::new(self.listing_ports(), self.users.clone()),
            media: self.media.clone(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
            public: self.public_version(),
        }
    }

    /// The ports of the admin job use cases.
    pub fn job_ports(&self) -> application::jobs::JobPorts {
        application::jobs::JobPorts { jobs: self.jobs.clone(), clock: self.clock.clone(), ids: self.ids.clone() }
    }

    /// The ports of the city use cases.
    pub fn city_ports(&self) -> CityPorts {
        CityPorts {
            cities: self.cities.clone(),
            clock: self.clock.clone(),
            ids: self.ids.clone(),
            public: self.public_version(),
        }
    }

    pub fn demo_ports(&self, password_hash: domain::PasswordHash) -> crate::demo::DemoPorts {
        crate::demo::DemoPorts {
            users: self.users.clone(),
            cities: self.cities.clone(),
            listings: self.listings.clone(),
            password_hash,
            public: self.public_version(),
        }
    }
}

/// The adapters for commands that need the real object storage (`worker`, `media
/// reconcile`): refuses a database with pending migrations.
pub async fn open_storage_dependencies(config: &Config) -> anyhow::Result<Dependencies> {
    let db = open_database(config).await?;
    let pending = Migrator::get_pending_migrations(&db).await.context("reading the migration state")?;
    anyhow::ensure!(
        pending.is_empty(),
        "{} migration(s) not applied; run `student-palace migrate up` first",
        pending.len()
    );
    let media = media_urls(config)?;
    let blobs = open_blobs(config, &media)?;
    let mut deps = Dependencies::sql(db, blobs, shared_cache(config)?, media);
    deps.max_upload_bytes = config.max_upload_bytes;
    Ok(deps)
}

/// Redis under this environment's prefix, when `REDIS_URL` is set.
fn open_redis(config: &Config) -> anyhow::Result<Option<sp_redis::Redis>> {
    config
        .redis_url
        .as_ref()
        .map(|url| sp_redis::Redis::new(url, &format!("sp:{}:", config.env.as_str()), config.redis_timeout))
        .transpose()
}

/// The cache the web instances share (Redis), so that what a command or the worker
/// changes replaces their public version; in-process without `REDIS_URL`.
fn shared_cache(config: &Config) -> anyhow::Result<Arc<dyn Cache>> {
    Ok(match open_redis(config)? {
        Some(r) => Arc::new(sp_redis::RedisCache::on(r)),
        None => Arc::new(sp_moka::InProcessCache::default()),
    })
}

/// The adapters for one-shot commands (no cache or storage needed): memory stand-ins for
/// those, SQL for the rest. Applies migrations first in dev.
pub async fn open_dependencies(config: &Config) -> anyhow::Result<Dependencies> {
    let db = open_database(config).await?;
    if config.auto_migrate {
        Migrator::up(&db, None).await.context("applying migrations")?;
    }
    let blobs: Arc<dyn BlobStore> =
        Arc::new(ObjectBlobStore::open(&sp_blob::StorageLocation::Memory, &StoreOptions::default())?);
    Ok(Dependencies::sql(db, blobs, shared_cache(config)?, media_urls(config)?))
}

/// Hashes the demo password (dev data only).
pub async fn demo_password_hash(deps: &Dependencies) -> anyhow::Result<domain::PasswordHash> {
    let pw = domain::NewPassword::parse(crate::demo::DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    deps.hasher.hash(&pw).await
}

pub struct Application {
    listener: tokio::net::TcpListener,
    limits: sp_http::server::ServerLimits,
    port: u16,
    endpoint: poem::endpoint::BoxEndpoint<'static>,
    deps: Dependencies,
    grace: Duration,
    /// The embedded worker (`EMBEDDED_WORKER`, dev).
    worker: Option<sp_worker::Worker>,
    /// `/metrics` on a listener of its own (`METRICS_PORT`).
    metrics: Option<(tokio::net::TcpListener, sp_http::metrics::MetricsEndpoint)>,
    /// Samples the pool and job-queue gauges while metrics are served.
    sampler: Option<crate::telemetry::Sampler>,
}

/// Opens the database described by the config (creating the folder of a SQLite file).
pub async fn open_database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    open_pool(config, config.database_max_connections).await
}

/// One connection, for `migrate`: `migrate fresh` on SQLite turns foreign keys off with a
/// PRAGMA, which holds only for the connection it ran on. With a pool, the DROPs could
/// land on another connection and fail on a dropped parent table.
pub async fn open_database_for_migrations(config: &Config) -> anyhow::Result<DatabaseConnection> {
    open_pool(config, 1).await
}

async fn open_pool(config: &Config, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    if config.is_sqlite()
        && let Some(dir) = sqlite_dir(config.database_url.expose_secret())
    {
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    sp_sql::connect(&DbConfig {
        url: config.database_url.clone(),
        max_connections,
        min_connections: 0,
        connect_timeout: Duration::from_secs(5),
        acquire_timeout: config.database_acquire_timeout,
        label: "primary",
    })
    .await
}

fn sqlite_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    std::path::Path::new(path).parent().map(std::path::Path::to_path_buf).filter(|p| !p.as_os_str().is_empty())
}

mod probes {
    use std::sync::Arc;
    use std::time::Duration;

    use application::ports::HealthProbe;

    /// Bounds a probe's wait so a hung dependency reads as down, not as a hung `/healthz`.
    pub struct TimedProbe(pub Arc<dyn HealthProbe>, pub Duration);

    #[async_trait::async_trait]
    impl HealthProbe for TimedProbe {
        fn name(&self) -> &'static str {
            self.0.name()
        }

        async fn check(&self) -> anyhow::Result<()> {
            tokio::time::timeout(self.1, self.0.check())
                .await
                .map_err(|_| anyhow::anyhow!("timed out after {:?}", self.1))?
        }
    }
}

/// The object store `STORAGE_URL` names; local folder and memory stores sign URLs for the
/// app's own `/media` route.
pub fn open_blobs(config: &Config, media: &application::media_url::MediaUrls) -> anyhow::Result<Arc<dyn BlobStore>> {
    use secrecy::ExposeSecret as _;
    let s3 = &config.s3;
    let options = StoreOptions {
        media_urls: Some(media.clone()),
        s3: sp_blob::S3Overrides {
            endpoint: s3.endpoint.clone(),
            region: s3.region.clone(),
            access_key_id: s3.access_key_id.clone(),
            secret_access_key: s3.secret_access_key.as_ref().map(|k| k.expose_secret().to_owned()),
            allow_http: s3.allow_http,
        },
        gcs_service_account_key: config.gcs.service_account_key.as_ref().map(|k| k.expose_secret().to_owned()),
        gcs_allow_http: config.gcs.allow_http,
        ..StoreOptions::default()
    };
    Ok(Arc::new(ObjectBlobStore::open(&config.storage, &options).context("opening object storage")?))
}

/// Public and signed URLs under `MEDIA_BASE_URL`. Signing uses `SECRET_KEY` (always set
/// outside dev); a dev run without one signs with a key of its own, so its signed URLs
/// end with the process.
pub fn media_urls(config: &Config) -> anyhow::Result<application::media_url::MediaUrls> {
    use secrecy::ExposeSecret as _;
    let base = url::Url::parse(&config.media_base_url).context("MEDIA_BASE_URL")?;
    let secret = match &config.secret_key {
        Some(k) => k.expose_secret().as_bytes().to_vec(),
        None => rand::random::<[u8; 32]>().to_vec(),
    };
    Ok(application::media_url::MediaUrls::new(&base, &secret))
}

fn timed(p: impl HealthProbe) -> Arc<dyn HealthProbe> {
    Arc::new(TimedProbe(Arc::new(p), Duration::from_secs(2)))
}

impl Application {
    /// Connects every adapter, migrates (when configured), seeds a fresh embedded dev
    /// database, and binds the listener. Nothing is served until `run_until_stopped`.
    pub async fn build(config: &Config) -> anyhow::Result<Self> {
        // Bound first: with PORT=0 the default media and e-mail URLs need the real port.
        let addr = std::net::SocketAddr::new(config.bind_addr, config.port);
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
        let port = listener.local_addr().context("listener has no address")?.port();
        let config = &config.for_port(port);
        // Before any adapter exists: they register their series (at 0) as they are built.
        if config.metrics_port.is_some() || config.metrics_token.is_some() {
            crate::telemetry::prometheus();
        }
        let db = open_database(config).await?;
        if config.auto_migrate {
            Migrator::up(&db, None).await.context("applying migrations")?;
        }
        let media = media_urls(config)?;
        let blobs = open_blobs(config, &media)?;
        let redis = open_redis(config)?;
        let (cache, cache_criticality): (Arc<dyn Cache>, Criticality) = match &redis {
            Some(r) => (Arc::new(sp_redis::RedisCache::on(r.clone())), Criticality::Optional),
            None => (Arc::new(sp_moka::InProcessCache::default()), Criticality::Required),
        };
        let mut deps = Dependencies::sql(db.clone(), blobs.clone(), cache.clone(), media);
        deps.rate_limits = config.rate_limits.clone();
        // The same key on every instance (from SECRET_KEY), so they count the same keys.
        deps.rate_limit_key = config.session_key();
        if let Some(r) = &redis {
            deps.rate_limiter = Arc::new(application::rate_limit::WithFallback::new(
                Arc::new(sp_redis::RedisRateLimiter::on(r.clone())),
                deps.rate_limiter.clone(),
            ));
        }
        if let (Some(r), crate::config::SessionStoreKind::Redis) = (&redis, config.session_store) {
            deps.sessions =
                application::accounts::ServerSessions::new(Arc::new(sp_redis::RedisSessions::on(r.clone())));
        }
        deps.max_upload_bytes = config.max_upload_bytes;
        deps.hasher =
            Arc::new(sp_crypto::Argon2Hasher::bounded(config.password_hash_concurrency, sp_crypto::DEFAULT_WAIT));

        if config.env == AppEnv::Dev && config.is_sqlite() && deps.cities.list(CityFilter::All).await?.is_empty() {
            let hash = demo_password_hash(&deps).await?;
            let s = crate::demo::seed(&deps.demo_ports(hash), 500, 2026, crate::demo::DemoAdmin::Include).await?;
            let photos = crate::demo::seed_photos(&deps.photo_ports(), &s.listing_ids, 1).await?;
            tracing::info!(
                cities = s.cities,
                users = s.users,
                listings = s.listings,
                photos,
                "seeded demo data into the fresh embedded database"
            );
            println!(
                "Demo accounts (password {:?}): {}, {}, {}",
                crate::demo::DEMO_PASSWORD,
                crate::demo::DEMO_STUDENT,
                crate::demo::DEMO_LANDLORD,
                crate::demo::DEMO_ADMIN
            );
        }

        let mut readiness = CheckReadiness::new()
            .with(timed(DatabaseHealth::new(db.clone())), Criticality::Required)
            .with(timed(StorageProbe(blobs.clone())), Criticality::Required)
            .with(timed(CacheProbe(cache.clone())), cache_criticality);
        // The replica's repositories, beside the primary's (the same cache and media).
        let mut replica_pool = None;
        let replica = match &config.database_read_url {
            Some(url) => {
                let pool = sp_sql::connect_lazily(&DbConfig {
                    url: url.clone(),
                    max_connections: config.database_max_connections,
                    min_connections: 0,
                    connect_timeout: config.database_read_timeout,
                    acquire_timeout: config.database_read_timeout,
                    label: "replica",
                })
                .await
                .context("DATABASE_READ_URL")?;
                replica_pool = Some(pool.clone());
                let mut on_replica = Dependencies::sql(pool.clone(), blobs.clone(), cache.clone(), deps.media.clone());
                on_replica.replica = true;
                let replica = Arc::new(sp_http::replica::Replica::new(
                    on_replica.reads(config.public_counts_ttl),
                    config.database_read_timeout,
                    config.env.is_strict(),
                ));
                let health = sp_http::replica::ReplicaHealth {
                    replica: replica.clone(),
                    ping: Arc::new(DatabaseHealth::named(pool, "replica")),
                };
                readiness = readiness.with(timed(health), Criticality::Optional);
                Some(replica)
            }
            None => None,
        };

        let mut services = deps.services(readiness, config.public_counts_ttl);
        services.replica = replica;
        let mut http = sp_http::HttpConfig::new(config.session_key());
        http.dev_routes = config.env == AppEnv::Dev;
        http.hsts = config.env.is_strict();
        http.secure_cookies = config.env.is_strict();
        http.request_timeout = config.request_timeout;
        http.max_upload_bytes = config.max_upload_bytes;
        http.serve_media = !config.storage.is_durable_shared();
        http.trusted_proxies = config.trusted_proxies.clone();
        if config.env.is_strict() && config.trusted_proxies.is_empty() {
            // Behind a load balancer or Cloud Run every visitor would share its address
            // (and so the per-address limits).
            tracing::warn!(
                "TRUSTED_PROXIES is empty: the TCP peer counts as the client; behind a proxy, list it (docs/operations.md)"
            );
        }
        http.counts_ttl = config.public_counts_ttl;
        http.session_store = deps.sessions.store();
        http.read_your_writes = config.database_read_url.as_ref().map(|_| config.read_your_writes);
        let render = (config.metrics_port.is_some() || config.metrics_token.is_some()).then(|| {
            let handle = crate::telemetry::prometheus();
            let render: Arc<dyn Fn() -> String + Send + Sync> = Arc::new(move || handle.render());
            render
        });
        if let (Some(render), Some(token)) = (&render, &config.metrics_token) {
            http.metrics = Some(sp_http::metrics::MetricsEndpoint {
                render: render.clone(),
                token: Some(token.expose_secret().into()),
            });
        }
        let metrics = metrics_listener(config).await?;
        if !config.public_cache_ttl.is_zero() {
            http.response_cache = Some(Arc::new(sp_http::response_cache::ResponseCache::new(
                cache.clone(),
                deps.public_version(),
                config.public_cache_ttl,
                32 * 1024 * 1024,
            )));
        }
        let endpoint = sp_http::app(services, &http);

        let limits = sp_http::server::ServerLimits {
            max_connections: config.max_connections,
            header_read_timeout: config.header_read_timeout,
            ..Default::default()
        };

        let worker = if config.embedded_worker {
            Some(crate::worker::build(&deps, config, crate::worker::mailer(config)?))
        } else {
            None
        };

        let sampler = render.is_some().then(|| crate::telemetry::spawn_sampler(db.clone(), replica_pool));
        Ok(Self { listener, limits, port, endpoint, deps, grace: config.shutdown_grace, worker, metrics, sampler })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port (`METRICS_PORT`; the real one when it was 0).
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().and_then(|(l, _)| l.local_addr().ok()).map(|a| a.port())
    }

    pub fn dependencies(&self) -> &Dependencies {
        &self.deps
    }

    /// Serves until `shutdown` resolves, then stops accepting, gives in-flight requests
    /// the grace period, and closes the database pool.
    ///
    /// The embedded worker (if any) stops with the server: no new claims, running jobs
    /// get the same grace, unfinished ones are released.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let grace = self.grace;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let stop = Arc::new(stop);
        let worker = self.worker.map(|w| {
            let mut stopped = stopped.clone();
            tokio::spawn(w.run(async move {
                let _ = stopped.wait_for(|s| *s).await;
            }))
        });
        let metrics =
            self.metrics.map(|(listener, endpoint)| serve_metrics(listener, endpoint, stopped.clone(), grace));
        let on_shutdown = {
            let stop = stop.clone();
            async move {
                shutdown.await;
                let _ = stop.send(true);
            }
        };
        let served = sp_http::server::serve(self.listener, self.endpoint, self.limits, on_shutdown, grace).await;
        let _ = stop.send(true);
        if let Some(w) = worker {
            w.await.context("the embedded worker panicked")?;
        }
        if let Some(m) = metrics {
            m.await.context("the metrics listener panicked")?.context("metrics listener failed")?;
        }
        drop(self.sampler);
        served.context("server failed")?;
        tracing::info!("server stopped; closing the database pool");
        self.deps.db.close().await.context("closing the database pool")?;
        Ok(())
    }
}

/// The `/metrics` listener of `METRICS_PORT` (serve and worker), bound; `None` without it.
/// Installs the recorder.
pub async fn metrics_listener(
    config: &Config,
) -> anyhow::Result<Option<(tokio::net::TcpListener, sp_http::metrics::MetricsEndpoint)>> {
    let Some(port) = config.metrics_port else { return Ok(None) };
    let handle = crate::telemetry::prometheus();
    let addr = std::net::SocketAddr::new(config.bind_addr, port);
    let listener =
        tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr} (METRICS_PORT)"))?;
    let render: Arc<dyn Fn() -> String + Send + Sync> = Arc::new(move || handle.render());
    Ok(Some((listener, sp_http::metrics::MetricsEndpoint { render, token: None })))
}

/// Serves `/metrics` on `listener` until `stopped` turns true.
pub fn serve_metrics(
    listener: tokio::net::TcpListener,
    endpoint: sp_http::metrics::MetricsEndpoint,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    grace: Duration,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    let app = poem::EndpointExt::boxed(poem::Route::new().at("/metrics", poem::get(endpoint)));
    tokio::spawn(sp_http::server::serve(
        listener,
        app,
        sp_http::server::ServerLimits::default(),
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
        grace,
    ))
}

/// Resolves on SIGTERM (Cloud Run, ECS, Kubernetes) or SIGINT (Ctrl-C). The handlers are
/// installed when this is called (inside the runtime), not when the future is first
/// polled, so a signal that arrives right after start-up is not lost to the default
/// action: call it before announcing readiness.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = int => tracing::info!(signal = "SIGINT", "shutting down"),
                () = term => tracing::info!(signal = "SIGTERM", "shutting down"),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!(signal = "Ctrl-C", "shutting down");
        }
    }
}
