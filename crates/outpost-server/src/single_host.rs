//! The first start of a single-host installation (`outpost up`): the default tenant, an admin
//! API key and the `admin` web UI user with a generated password, each saved in the data
//! directory (mode 0600) and reused on later starts.

use outpost_core::api::Tenant;
use outpost_store::{KeyKind, Store, StoreError};
use std::path::Path;

/// The tenant `outpost up` puts its local agent in.
pub const DEFAULT_TENANT: &str = "default";

#[derive(Debug, thiserror::Error)]
pub enum SingleHostError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] crate::password::PasswordError),
    #[error("cannot save {path}: {source}")]
    Save {
        path: String,
        source: std::io::Error,
    },
}

/// What a single-host installation starts with.
#[derive(Debug)]
pub struct SingleHost {
    pub tenant: Tenant,
    /// The admin API key (`admin.key` in the data directory).
    pub admin_key: String,
    /// The `admin` UI user's password when it was created by this start (`admin.password`).
    pub ui_password: Option<String>,
}

/// Finds or creates the default tenant, the admin key and the admin UI user.
pub async fn prepare(store: &Store, data_dir: &Path) -> Result<SingleHost, SingleHostError> {
    let tenant = match store.find_tenant(DEFAULT_TENANT).await {
        Ok(t) => t,
        Err(_) => store.create_tenant(DEFAULT_TENANT).await?,
    };
    Ok(SingleHost {
        tenant,
        admin_key: admin_key(store, data_dir).await?,
        ui_password: admin_user(store, data_dir).await?,
    })
}

/// Reuses the admin key saved by an earlier start, or creates one and saves it.
async fn admin_key(store: &Store, data_dir: &Path) -> Result<String, SingleHostError> {
    let path = data_dir.join("admin.key");
    if let Ok(k) = std::fs::read_to_string(&path) {
        let k = k.trim().to_string();
        if store
            .resolve_key(&k)
            .await?
            .is_some_and(|i| i.kind == "admin")
        {
            return Ok(k);
        }
    }
    let (_, secret) = store
        .create_key(KeyKind::Admin, None, "created by outpost up")
        .await?;
    save_secret(&path, &secret)?;
    Ok(secret)
}

/// Creates the `admin` UI user on first start with a generated password; returns the password
/// when it was created now.
async fn admin_user(store: &Store, data_dir: &Path) -> Result<Option<String>, SingleHostError> {
    if store.user_credentials("admin").await?.is_some() {
        return Ok(None);
    }
    let password = crate::random_token()[..24].to_string();
    let phc = crate::password::hash(password.clone()).await?;
    store
        .create_user("admin", &phc, outpost_core::auth::Role::Admin, None)
        .await?;
    save_secret(&data_dir.join("admin.password"), &password)?;
    Ok(Some(password))
}

/// Writes `secret` and a newline to `path` through a temporary file, readable by the owner only.
fn save_secret(path: &Path, secret: &str) -> Result<(), SingleHostError> {
    use std::io::Write;
    let err = |source| SingleHostError::Save {
        path: path.display().to_string(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(&tmp).map_err(err)?;
    f.write_all(format!("{secret}\n").as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    /// A second start reuses the tenant, key and user of the first; the saved secrets are the
    /// owner's only.
    #[tokio::test]
    async fn a_second_start_reuses_what_the_first_created() {
        let dir = tempfile::tempdir().unwrap();
        let store = outpost_store::Store::open_sqlite_dir(dir.path())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let first = super::prepare(&store, dir.path()).await.unwrap();
        let password = first.ui_password.clone().expect("created on first start");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("admin.password")).unwrap(),
            format!("{password}\n")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("admin.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "admin.key is readable by others: {mode:o}");
        }
        let second = super::prepare(&store, dir.path()).await.unwrap();
        assert_eq!(second.tenant.id, first.tenant.id);
        assert_eq!(second.admin_key, first.admin_key);
        assert!(second.ui_password.is_none());
    }
}
