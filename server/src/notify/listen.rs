//! PostgreSQL LISTEN: servers sharing one database wake each other.
//!
//! `enqueue` sends `NOTIFY isacx_outbox` inside its transaction; PostgreSQL
//! delivers it at commit to every listening connection. This thread holds
//! one such connection and turns each notification into a local
//! [`wake`](super::wake). It stops when the server's state is gone, and
//! reconnects after a lost connection.

use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::app::AppState;

pub fn spawn(state: &Arc<AppState>, url: String) -> std::io::Result<()> {
    let weak: Weak<AppState> = Arc::downgrade(state);
    std::thread::Builder::new()
        .name("isacx-pg-listen".to_owned())
        .spawn(move || listen(weak, &url))?;
    Ok(())
}

fn listen(state: Weak<AppState>, url: &str) {
    while state.strong_count() > 0 {
        let mut conn = match PgConnection::establish(url) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN connection failed; retrying");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if let Err(e) = conn.batch_execute(&format!("LISTEN {}", super::PG_CHANNEL)) {
            tracing::warn!(error = %e, "LISTEN failed; retrying");
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        'connected: while state.strong_count() > 0 {
            let mut woke = false;
            for notification in conn.notifications_iter() {
                match notification {
                    Ok(_) => woke = true,
                    Err(e) => {
                        tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                        break 'connected;
                    }
                }
            }
            if woke {
                super::wake();
            }
            // notifications_iter reads what has arrived without blocking.
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}
