// One error, at the argument: the method is kept, so its callers compile.
struct Counter(u32);

impl Counter {
    #[lantern_macros::traced(colour = "red")]
    fn add(&mut self, n: u32) -> u32 {
        self.0 += n;
        self.0
    }
}

fn main() {
    assert_eq!(Counter(1).add(2), 3);
}
