// One error, at `skip`: the method is kept, so its callers compile.
struct Store;

impl Store {
    #[lantern_macros::traced(skip(nope))]
    async fn load(&self, key: &str) -> Option<String> {
        Some(key.to_owned())
    }
}

fn main() {
    let _future = Store.load("a");
}
