//! `openivs keys create|list|delete`: API keys live in the data dir's database, so these commands
//! work whether or not the server is running (a running server sees changes within seconds).

use crate::DataDir;
use anyhow::{Result, bail};
use openivs_server::app;
use openivs_server::store::{ApiKey, Store};

#[derive(clap::Subcommand)]
pub enum KeysCommand {
    /// Create a key; prints its id and secret (shown only now).
    Create {
        #[command(flatten)]
        data: DataDir,
        /// Account the key acts for (12 digits); default: the default account. A new id makes a new account.
        #[arg(long)]
        account_id: Option<String>,
        /// Actions the key may call, comma-separated (`ivs:GetChannel,ivs:List*`); default all.
        #[arg(long, value_delimiter = ',')]
        allow: Vec<String>,
        /// Also write the key as an AWS shared-credentials file (profile `openivs`) at this path.
        #[arg(long)]
        credentials_file: Option<std::path::PathBuf>,
    },
    /// List keys (ids, accounts and allowed actions; never secrets).
    List {
        #[command(flatten)]
        data: DataDir,
    },
    /// Delete a key.
    Delete {
        #[command(flatten)]
        data: DataDir,
        /// The access key id.
        access_key_id: String,
    },
}

pub async fn run(cmd: KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::Create { data, account_id, allow, credentials_file } => {
            let store = app::open_store(&data.data_dir)?;
            let account = match account_id {
                Some(a) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => a,
                Some(a) => bail!("--account-id must be 12 digits, got {a:?}"),
                None => app::default_account(&store, None).await?,
            };
            if let Some(bad) = allow.iter().find(|a| !(a.starts_with("ivs:") || a.as_str() == "*")) {
                bail!("--allow takes IVS actions such as ivs:GetChannel or ivs:List*, got {bad:?}");
            }
            let key = ApiKey {
                access_key_id: app::new_access_key_id(),
                secret_access_key: app::new_secret(),
                account,
                allow,
                created_ms: openivs_model_now(),
            };
            store.put_key(key.clone()).await?;
            if let Some(path) = credentials_file {
                app::write_credentials(&path, &key)?;
            }
            println!(
                "{}",
                serde_json::json!({
                    "accessKeyId": key.access_key_id,
                    "secretAccessKey": key.secret_access_key,
                    "accountId": key.account,
                    "allow": key.allow,
                })
            );
        }
        KeysCommand::List { data } => {
            let store = app::open_store(&data.data_dir)?;
            for k in store.list_keys().await? {
                let allow = if k.allow.is_empty() { "*".to_string() } else { k.allow.join(",") };
                println!("{}\t{}\t{}", k.access_key_id, k.account, allow);
            }
        }
        KeysCommand::Delete { data, access_key_id } => {
            let store = app::open_store(&data.data_dir)?;
            if !store.delete_key(&access_key_id).await? {
                bail!("no key {access_key_id}");
            }
            println!("deleted {access_key_id}");
        }
    }
    Ok(())
}

fn openivs_model_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
