//! The `customer` service (HTTP): `GET /customer?customer=ID` answers with
//! the customer's name and location, as JSON, from a simulated MySQL
//! database.
//!
//! The query is a client span `SQL SELECT` with the database conventions'
//! attributes (`db.system = "mysql"`, `db.statement`, ...). As in the book,
//! the database has a single connection: a lock that queries take in turn
//! (a tokio mutex, held for the whole query). Under load, requests queue for
//! it; a request that has to wait logs `waiting for lock behind N
//! transactions` with the sessions ahead of it (from their baggage), so the
//! trace of a slow dispatch says who it waited for.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex as SyncMutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tracing::Instrument;

use super::{Latencies, Shutdown, jittered};

/// A customer, as the customer service answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The id (`123`).
    pub id: String,
    /// The business's name.
    pub name: String,
    /// Where rides pick up, as `x,y` on the city map.
    pub location: String,
}

/// The book's four customers: id, name and location.
pub const CUSTOMERS: [(&str, &str, &str); 4] = [
    ("123", "Rachel's Floral Designs", "115,277"),
    ("392", "Trom Chocolatier", "577,322"),
    ("731", "Japanese Desserts", "728,326"),
    ("567", "Amazing Coffee Roasters", "211,653"),
];

/// The name of a customer, by id.
///
/// ```
/// assert_eq!(lantern_examples::hotrod::customer::name_of("392"), Some("Trom Chocolatier"));
/// ```
pub fn name_of(id: &str) -> Option<&'static str> {
    CUSTOMERS.iter().find(|(cid, ..)| *cid == id).map(|(_, name, _)| *name)
}

#[derive(Deserialize)]
struct CustomerQuery {
    customer: Option<String>,
}

/// Serves the customer service on `listener`.
/// With `mutex` off (`--fix-disable-db-conn-mutex`), queries no longer take
/// turns on one connection.
pub(crate) async fn serve(
    listener: TcpListener,
    latencies: Latencies,
    mutex: bool,
    shutdown: Shutdown,
) -> Result<(), String> {
    let database = Arc::new(Database { latencies, lock: mutex.then(ConnectionLock::default) });
    let router = Router::new().route("/customer", get(get_customer)).with_state(database);
    super::web::serve(listener, router, "customer", shutdown).await
}

async fn get_customer(
    State(database): State<Arc<Database>>,
    Query(query): Query<CustomerQuery>,
) -> Result<axum::Json<Customer>, (StatusCode, String)> {
    let Some(id) = query.customer.filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())) else {
        tracing::warn!("no valid customer id in the request");
        return Err((StatusCode::BAD_REQUEST, "customer=ID (digits) is required".into()));
    };
    tracing::info!(customer_id = %id, "loading customer");
    match database.get(&id).await {
        Some(customer) => Ok(axum::Json(customer)),
        None => {
            tracing::warn!(customer_id = %id, "no such customer");
            Err((StatusCode::NOT_FOUND, format!("no customer {id}")))
        }
    }
}

/// The simulated MySQL database.
struct Database {
    latencies: Latencies,
    /// The one connection; none when the mutex is fixed away.
    lock: Option<ConnectionLock>,
}

impl Database {
    /// `SELECT * FROM customer WHERE customer_id = ?`, in a client span, on
    /// the one connection.
    async fn get(&self, id: &str) -> Option<Customer> {
        let statement = format!("SELECT * FROM customer WHERE customer_id={id}");
        let span = tracing::info_span!(
            "SQL SELECT",
            otel.kind = "client",
            db.system = "mysql",
            db.namespace = "customers",
            db.collection.name = "customer",
            db.operation.name = "SELECT",
            db.statement = statement.as_str(),
            server.address = "mysql",
            server.port = 3306,
        );
        async {
            let _connection = match &self.lock {
                Some(lock) => Some(lock.acquire().await),
                None => None,
            };
            tokio::time::sleep(jittered(self.latencies.mysql, self.latencies.mysql_jitter)).await;
            let found = CUSTOMERS.iter().find(|(cid, ..)| *cid == id).map(|(id, name, location)| Customer {
                id: (*id).into(),
                name: (*name).into(),
                location: (*location).into(),
            });
            tracing::info!(rows = u8::from(found.is_some()), "query done");
            found
        }
        .instrument(span)
        .await
    }
}

/// The one connection: a fair tokio mutex, and the queue of those holding
/// or waiting for it, by session, to say who a request waits behind.
#[derive(Default)]
struct ConnectionLock {
    connection: tokio::sync::Mutex<()>,
    queue: SyncMutex<VecDeque<(u64, String)>>,
    next_ticket: std::sync::atomic::AtomicU64,
}

/// The connection, held; dropping it leaves the queue.
struct Held<'a> {
    _guard: tokio::sync::MutexGuard<'a, ()>,
    lock: &'a ConnectionLock,
    ticket: u64,
}

impl ConnectionLock {
    async fn acquire(&self) -> Held<'_> {
        let session = lantern::context::current().baggage().get("session").unwrap_or("unknown").to_owned();
        let ticket = self.next_ticket.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ahead: Vec<String> = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            let ahead = queue.iter().map(|(_, s)| s.clone()).collect();
            queue.push_back((ticket, session));
            ahead
        };
        if !ahead.is_empty() {
            tracing::info!(blockers = ?ahead, "waiting for lock behind {} transactions", ahead.len());
        }
        // Dropped mid-wait (the request went away): leave the queue too.
        let mut leave = Leave { lock: self, ticket: Some(ticket) };
        let guard = self.connection.lock().await;
        leave.ticket = None;
        if !ahead.is_empty() {
            tracing::info!("acquired lock");
        }
        Held { _guard: guard, lock: self, ticket }
    }

    fn leave(&self, ticket: u64) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.retain(|(t, _)| *t != ticket);
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.lock.leave(self.ticket);
    }
}

/// Leaves the queue unless disarmed.
struct Leave<'a> {
    lock: &'a ConnectionLock,
    ticket: Option<u64>,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket {
            self.lock.leave(ticket);
        }
    }
}
