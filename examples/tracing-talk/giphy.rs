//! `giphy`: reads every message from the stream (consumer group
//! [`GROUP`]); for one that starts with `/giphy <topic>` and has no image
//! yet, asks the Giphy API for an image of the topic and publishes the
//! message again with the image's URL, for storage to update.
//!
//! The Giphy API here is a stand-in, `giphy-api`: an HTTP service in this
//! process, on loopback, that makes up an image URL for any topic after a
//! short wait (`GET /v1/gifs/search?q=cats`). giphy calls it with a traced
//! client, so the call is a client span and the stand-in's server span is
//! part of the message's trace.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::Query;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use super::Message;
use super::bus::{self, Handler, Redis};
use crate::hotrod::Shutdown;
use crate::hotrod::web::{Client, get_json, traced_client};

/// giphy's consumer group.
pub const GROUP: &str = "giphy";
/// The longest topic looked up, in characters.
const MAX_TOPIC: usize = 50;

/// The stand-in's answer: the Giphy API's, cut to what giphy reads.
#[derive(Debug, Serialize, Deserialize)]
struct Search {
    data: Vec<Gif>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Gif {
    url: String,
}

/// `cats` for `Cats!`: lower-case letters, digits and dashes, at most
/// [`MAX_TOPIC`] of them, safe in a URL as it is.
fn topic_slug(topic: &str) -> String {
    let slug: String = topic
        .chars()
        .take(MAX_TOPIC)
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    slug.trim_matches('-').to_owned()
}

struct Giphy {
    redis: Redis,
    client: Client,
    api: SocketAddr,
}

impl Handler for Giphy {
    async fn handle(&self, message: Message) -> Result<(), String> {
        let Some(topic) = message.giphy_topic().filter(|_| message.image.is_none()) else {
            return Ok(()); // not for giphy, or giphy's own update
        };
        let slug = topic_slug(topic);
        if slug.is_empty() {
            return Err(format!("no usable topic in {topic:?}"));
        }
        let url = format!("http://{}/v1/gifs/search?q={slug}", self.api);
        let search: Search = get_json(&self.client, &url).await.map_err(|(_, e)| e)?;
        let image = search.data.into_iter().next().map(|g| g.url).ok_or(format!("no image for {slug}"))?;
        tracing::info!(message_id = %message.id, %image, "image found");
        self.redis.publish(&Message { image: Some(image), ..message }).await.map(drop)
    }
}

/// Consumes the stream until `stop` completes, asking the stand-in at
/// `api` for images.
pub(crate) async fn run(redis: Redis, reader: Redis, api: SocketAddr, stop: impl Future<Output = ()>) {
    let giphy = Giphy { redis: redis.clone(), client: traced_client(), api };
    bus::consume(redis, reader, "giphy", GROUP, giphy, stop).await;
}

#[derive(Debug, Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// Serves the stand-in of the Giphy API on `listener` until shut down.
pub(crate) async fn serve_stand_in(listener: TcpListener, shutdown: Shutdown) -> Result<(), String> {
    let router = Router::new().route("/v1/gifs/search", get(search));
    crate::hotrod::web::serve(listener, router, "giphy-api", shutdown).await
}

async fn search(Query(query): Query<SearchQuery>) -> Json<Search> {
    tokio::time::sleep(Duration::from_millis(fastrand::u64(10..40))).await;
    let slug = topic_slug(&query.q);
    let slug = if slug.is_empty() { "random".to_owned() } else { slug };
    Json(Search { data: vec![Gif { url: format!("https://media.giphy.example/{slug}/giphy.gif") }] })
}

#[cfg(test)]
mod tests {
    use super::topic_slug;

    #[test]
    fn topics_become_url_safe_slugs() {
        assert_eq!(topic_slug("Cats!"), "cats");
        assert_eq!(topic_slug("big dogs"), "big-dogs");
        assert_eq!(topic_slug("&q=x"), "q-x");
        assert_eq!(topic_slug(&"a".repeat(500)).len(), 50);
    }
}
