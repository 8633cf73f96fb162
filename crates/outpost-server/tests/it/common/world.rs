//! The one world builder of the server tests: a temporary directory, a migrated store
//! (SQLite in the directory unless a test gives its own), tenants with their devices, keys
//! and users, and a server state over it, configured by options.
//!
//! ```ignore
//! let w = World::builder().tenant("acme", &["web1"]).no_rate_limits().build().await;
//! let r = w.call("GET", "/api/v1/hits", Some(&w.admin), None).await;
//! ```

use super::Reply;
use axum::http::StatusCode;
use outpost_core::auth::Role;
use outpost_server::config::ServerConfig;
use outpost_store::{KeyKind, Store};
use serde_json::Value;
use std::path::Path;

/// The password of every user the builder creates.
pub const PASSWORD: &str = "correct horse battery";

type Edit<'a> = Box<dyn FnOnce(&mut ServerConfig, &Path) + 'a>;

/// The options of a world; `World::builder()`.
pub struct Builder<'a> {
    tenants: Vec<(String, Vec<String>)>,
    users: Vec<(String, Role, Option<String>)>,
    os: Option<&'static str>,
    lite: bool,
    store: Option<Store>,
    toml: Option<Box<dyn FnOnce(&Path) -> String + 'a>>,
    edits: Vec<Edit<'a>>,
}

/// An enrolled device.
pub struct Device {
    pub id: String,
    pub token: String,
    pub hostname: String,
    /// The device as its token authenticates it.
    pub auth: outpost_store::DeviceAuth,
}

/// A tenant with a customer key, an enrollment key and its devices.
pub struct Tenant {
    pub id: String,
    pub name: String,
    pub customer: String,
    pub customer_id: String,
    pub enroll: String,
    pub enroll_id: String,
    pub devices: Vec<Device>,
}

impl Tenant {
    /// The tenant's first device.
    pub fn device(&self) -> &Device {
        &self.devices[0]
    }
}

/// A user with a live session.
pub struct User {
    pub name: String,
    pub id: String,
    pub session: String,
}

/// A server over a fresh store, with the principals the builder asked for.
pub struct World {
    pub app: axum::Router,
    pub state: outpost_server::AppState,
    pub store: Store,
    /// An admin key and a technician key.
    pub admin: String,
    pub tech: String,
    /// The tenants, in the order given to the builder.
    pub tenants: Vec<Tenant>,
    pub users: Vec<User>,
    pub dir: tempfile::TempDir,
}

impl World {
    /// The world's SQLite database (the default store), opened beside the server: for tests
    /// that change rows behind its back, as a tampered or broken database would.
    pub async fn sqlite(&self) -> sqlx::SqlitePool {
        let url = format!("sqlite://{}", self.dir.path().join("outpost.db").display());
        sqlx::SqlitePool::connect(&url).await.unwrap()
    }

    /// Runs one statement on [`World::sqlite`]; returns the rows it changed.
    pub async fn sql(&self, statement: &str) -> u64 {
        let db = self.sqlite().await;
        let n = sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&db)
            .await
            .unwrap()
            .rows_affected();
        db.close().await;
        n
    }

    pub fn builder<'a>() -> Builder<'a> {
        Builder {
            tenants: Vec::new(),
            users: Vec::new(),
            os: None,
            lite: false,
            store: None,
            toml: None,
            edits: Vec::new(),
        }
    }

    /// The first tenant.
    pub fn a(&self) -> &Tenant {
        &self.tenants[0]
    }

    /// The second tenant.
    pub fn b(&self) -> &Tenant {
        &self.tenants[1]
    }

    /// The user named `name`.
    pub fn user(&self, name: &str) -> &User {
        self.users
            .iter()
            .find(|u| u.name == name)
            .unwrap_or_else(|| panic!("no user {name} in the world"))
    }

    /// One request to the world's router (see `common::call`).
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        super::call(&self.app, method, uri, token, body).await
    }

    /// `GET uri` with `token`: the status and the body (see `Reply::sv`).
    pub async fn get(&self, uri: &str, token: &str) -> (StatusCode, Value) {
        self.call("GET", uri, Some(token), None).await.sv()
    }

    /// `POST uri` with `token` and the JSON `body`: the status and the answer.
    pub async fn post(&self, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call("POST", uri, Some(token), Some(body)).await.sv()
    }
}

impl<'a> Builder<'a> {
    /// A tenant named `name` with a device for each hostname.
    pub fn tenant(mut self, name: &str, hosts: &[&str]) -> Self {
        let hosts = hosts.iter().map(|h| h.to_string()).collect();
        self.tenants.push((name.to_string(), hosts));
        self
    }

    /// A user with the password `PASSWORD` and a session; `tenant` names a tenant.
    pub fn user(mut self, name: &str, role: Role, tenant: Option<&str>) -> Self {
        self.users
            .push((name.to_string(), role, tenant.map(str::to_string)));
        self
    }

    /// The devices report this operating system.
    pub fn os(mut self, os: &'static str) -> Self {
        self.os = Some(os);
        self
    }

    /// The state without the background parts (`outpost_server::state`: no job subsystem,
    /// scoring or outputs) instead of the one `outpost server` builds (`build_state`).
    pub fn lite(mut self) -> Self {
        self.lite = true;
        self
    }

    /// This store instead of a new SQLite one (it is migrated already).
    pub fn store(mut self, store: Store) -> Self {
        self.store = Some(store);
        self
    }

    /// The configuration is this TOML, given the world's directory (its `data_dir` too).
    pub fn toml(mut self, f: impl FnOnce(&Path) -> String + 'a) -> Self {
        self.toml = Some(Box::new(f));
        self
    }

    /// A change to the configuration, given the world's directory.
    pub fn config(mut self, f: impl FnOnce(&mut ServerConfig, &Path) + 'a) -> Self {
        self.edits.push(Box::new(f));
        self
    }

    /// No request or login rate limits.
    pub fn no_rate_limits(self) -> Self {
        self.config(|c, _| {
            c.rate_limit_per_s = 0;
            c.login_rate_per_min = 0;
        })
    }

    pub async fn build(self) -> World {
        let dir = tempfile::tempdir().unwrap();
        let store = match self.store {
            Some(s) => s,
            None => {
                let s = Store::open_sqlite_dir(dir.path()).await.unwrap();
                s.migrate().await.unwrap();
                s
            }
        };
        let (_, admin) = store.create_key(KeyKind::Admin, None, "").await.unwrap();
        let (_, tech) = store
            .create_key(KeyKind::Technician, None, "")
            .await
            .unwrap();
        let mut tenants = Vec::new();
        for (name, hosts) in &self.tenants {
            tenants.push(tenant(&store, name, hosts, self.os).await);
        }
        let users = users(&store, &tenants, &self.users).await;
        let mut cfg = match self.toml {
            Some(f) => {
                let path = dir.path().join("server.toml");
                std::fs::write(&path, f(dir.path())).unwrap();
                ServerConfig::load(Some(&path)).unwrap()
            }
            None => ServerConfig {
                data_dir: dir.path().to_path_buf(),
                ..Default::default()
            },
        };
        for edit in self.edits {
            edit(&mut cfg, dir.path());
        }
        let state = if self.lite {
            outpost_server::state(cfg, store.clone())
        } else {
            outpost_server::build_state(cfg, store.clone())
                .await
                .unwrap()
        };
        World {
            app: outpost_server::router(state.clone()),
            state,
            store,
            admin,
            tech,
            tenants,
            users,
            dir,
        }
    }
}

async fn tenant(store: &Store, name: &str, hosts: &[String], os: Option<&str>) -> Tenant {
    let t = store.create_tenant(name).await.unwrap();
    let (ck, customer) = store
        .create_key(KeyKind::Customer, Some(&t.id), "")
        .await
        .unwrap();
    let (ek, enroll) = store
        .create_key(KeyKind::Enrollment, Some(&t.id), "")
        .await
        .unwrap();
    let mut devices = Vec::new();
    for h in hosts {
        let (d, token) = store.create_device(&t.id, h, os, None).await.unwrap();
        let auth = store.device_by_token(&token).await.unwrap().unwrap();
        devices.push(Device {
            id: d.id,
            token,
            hostname: h.clone(),
            auth,
        });
    }
    Tenant {
        id: t.id,
        name: name.to_string(),
        customer,
        customer_id: ck.id,
        enroll,
        enroll_id: ek.id,
        devices,
    }
}

async fn users(
    store: &Store,
    tenants: &[Tenant],
    wanted: &[(String, Role, Option<String>)],
) -> Vec<User> {
    let mut users = Vec::new();
    for (name, role, tenant) in wanted {
        let tenant_id = tenant.as_ref().map(|n| {
            let t = tenants.iter().find(|t| &t.name == n);
            t.unwrap_or_else(|| panic!("no tenant {n}")).id.as_str()
        });
        users.push(add_user(store, name, *role, tenant_id).await);
    }
    users
}

/// A user with the password `PASSWORD` and a session of an hour.
pub async fn add_user(store: &Store, name: &str, role: Role, tenant_id: Option<&str>) -> User {
    let phc = outpost_server::password::hash(PASSWORD.to_string())
        .await
        .unwrap();
    let u = store
        .create_user(name, &phc, role, tenant_id)
        .await
        .unwrap();
    let ttl = std::time::Duration::from_secs(3600);
    let (session, _) = store.create_session(&u.id, ttl).await.unwrap();
    User {
        name: name.to_string(),
        id: u.id,
        session,
    }
}
