//! The CPU cost of the Bluesky filter at the rate of the real network: replays Jetstream frames
//! (a recorded sample, or a generated one shaped like it) through the same
//! `tm_ingest::bluesky::model::Filter` the source runs, against a watch list of hundreds of rooms.
//!
//! ```sh
//! cargo run --release -p tm-ingest --example jetstream_filter                 # generated sample
//! cargo run --release -p tm-ingest --example jetstream_filter -- --sample s.jsonl --rate 500
//! ```
//!
//! Two measurements: the filter's cost per frame flat out (one core), and the CPU time the
//! process spends while frames arrive paced at `--rate` per second for `--seconds` (what the
//! ingester would spend on the stream). Results and how to record a real sample:
//! docs/benchmarks.md, "Bluesky Jetstream filter". Not a test: nothing here asserts a speed.

use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};
use tm_ingest::bluesky::model::{Action, Filter};
use tm_ingest::watch::WatchList;

struct Options {
    sample: Option<String>,
    write_sample: Option<String>,
    frames: usize,
    rooms: usize,
    rate: u64,
    seconds: u64,
    seed: u64,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        sample: None,
        write_sample: None,
        frames: 50_000,
        rooms: 500,
        rate: 400,
        seconds: 20,
        seed: 20,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--sample" => o.sample = Some(value()?),
            "--write-sample" => o.write_sample = Some(value()?),
            "--frames" => o.frames = value()?.parse()?,
            "--rooms" => o.rooms = value()?.parse()?,
            "--rate" => o.rate = value()?.parse()?,
            "--seconds" => o.seconds = value()?.parse()?,
            "--seed" => o.seed = value()?.parse()?,
            other => bail!(
                "unknown argument {other}; use --sample FILE | --write-sample FILE | --frames N | --rooms N | --rate N | --seconds N | --seed N"
            ),
        }
    }
    Ok(o)
}

/// xorshift64*: deterministic, so every run replays the same sample.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(1000) < percent * 10
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "the",
    "a",
    "today",
    "really",
    "think",
    "new",
    "post",
    "art",
    "just",
    "love",
    "people",
    "why",
    "bluesky",
    "what",
    "good",
    "morning",
    "news",
    "photo",
    "this",
    "is",
    "not",
    "game",
    "music",
    "book",
    "reading",
    "café",
    "naïve",
    "日本語",
    "ありがとう",
    "português",
    "straße",
    "🎉",
    "😂",
    "🔥",
    "❤️",
    "here",
    "with",
    "and",
    "of",
    "to",
    "in",
    "on",
    "for",
    "that",
    "it",
    "so",
    "thread",
    "👇",
    "https://example.com/x",
];
const LANGS: &[&str] = &["en", "ja", "pt", "de", "es", "fr", "ko"];

fn did(rng: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let id: String = (0..24).map(|_| ALPHABET[rng.below(32) as usize] as char).collect();
    format!("did:plc:{id}")
}

fn rkey(rng: &mut Rng) -> String {
    format!("3l{:011x}", rng.next() >> 20)
}

/// A frame shaped like Jetstream's `app.bsky.feed.post` stream: mostly creates (some replies,
/// embeds, link/mention/tag facets), some deletes, a few identity and account frames.
fn frame(rng: &mut Rng, time_us: i64, tags: &[String]) -> Value {
    let author = did(rng);
    let roll = rng.below(100);
    if roll < 3 {
        return json!({"did": author, "time_us": time_us, "kind": "identity",
            "identity": {"did": author, "handle": format!("user{}.bsky.social", rng.below(1_000_000)), "seq": time_us, "time": "2026-11-23T09:00:00.000Z"}});
    }
    if roll < 4 {
        return json!({"did": author, "time_us": time_us, "kind": "account",
            "account": {"active": true, "did": author, "seq": time_us, "time": "2026-11-23T09:00:00.000Z"}});
    }
    if roll < 12 {
        return json!({"did": author, "time_us": time_us, "kind": "commit", "commit": {"rev": rkey(rng),
            "operation": "delete", "collection": "app.bsky.feed.post", "rkey": rkey(rng)}});
    }
    let words = 3 + rng.below(40);
    let mut text: String = (0..words).map(|_| rng.pick(WORDS)).collect::<Vec<_>>().join(" ");
    let mut facets = Vec::new();
    if rng.chance(12) {
        facets.push(
            json!({"$type": "app.bsky.richtext.facet", "index": {"byteStart": 0, "byteEnd": 10},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/some/article?id=42"}]}),
        );
    }
    if rng.chance(10) {
        facets.push(
            json!({"$type": "app.bsky.richtext.facet", "index": {"byteStart": 0, "byteEnd": 8},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did(rng)}]}),
        );
    }
    if rng.chance(6) {
        for _ in 0..1 + rng.below(3) {
            let tag = &tags[rng.below(tags.len() as u64) as usize];
            text.push_str(&format!(" #{tag}"));
            facets.push(
                json!({"$type": "app.bsky.richtext.facet", "index": {"byteStart": 0, "byteEnd": tag.len() + 1},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}]}),
            );
        }
    } else if rng.chance(1) {
        text.push_str(" #NoFacetsHere");
    }
    let mut record = json!({"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-23T09:10:00.000Z",
        "langs": [rng.pick(LANGS)]});
    if !facets.is_empty() {
        record["facets"] = Value::Array(facets);
    }
    if rng.chance(30) {
        let parent = json!({"cid": "bafyreihzsomecidvalue1234567890abcdefghijklmnop", "uri": format!("at://{}/app.bsky.feed.post/{}", did(rng), rkey(rng))});
        record["reply"] = json!({"parent": parent, "root": parent});
    }
    if rng.chance(25) {
        record["embed"] = if rng.chance(60) {
            json!({"$type": "app.bsky.embed.images", "images": [{"alt": "a photo of something nice", "aspectRatio": {"height": 1000, "width": 750},
                "image": {"$type": "blob", "ref": {"$link": "bafkreigsomeimageblobcid1234567890"}, "mimeType": "image/jpeg", "size": 312_345}}]})
        } else {
            json!({"$type": "app.bsky.embed.external", "external": {"description": "An article about something", "title": "Title of the article",
                "uri": "https://example.com/article"}})
        };
    }
    json!({"did": author, "time_us": time_us, "kind": "commit", "commit": {"rev": rkey(rng), "operation": "create",
        "collection": "app.bsky.feed.post", "rkey": rkey(rng), "record": record, "cid": "bafyreidsomecidvalue1234567890abcdefghijklmnop"}})
}

fn tag_pool(rng: &mut Rng, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "{}{}",
                rng.pick(&["art", "news", "music", "photo", "tech", "science", "book", "game"]),
                i
            )
        })
        .collect()
}

fn sample(o: &Options, rng: &mut Rng) -> anyhow::Result<Vec<String>> {
    if let Some(path) = &o.sample {
        let file = std::fs::File::open(path).with_context(|| format!("opening {path}"))?;
        let lines: Vec<String> = std::io::BufReader::new(file).lines().collect::<Result<_, _>>()?;
        let lines: Vec<String> = lines.into_iter().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            bail!("{path} has no frames");
        }
        return Ok(lines);
    }
    let tags = tag_pool(rng, 5000);
    let start = 1_764_000_000_000_000i64;
    let mut frames: Vec<String> = (0..o.frames)
        .map(|i| frame(rng, start + i as i64 * 2500, &tags).to_string())
        .collect();
    // One post in a thousand is for a watched room.
    for i in (500..frames.len()).step_by(1000) {
        frames[i] = json!({"did": "did:plc:adaadaadaadaadaadaadaada", "time_us": start + i as i64 * 2500, "kind": "commit",
            "commit": {"rev": "3l", "operation": "create", "collection": "app.bsky.feed.post", "rkey": format!("3kbench{i}"),
            "record": {"$type": "app.bsky.feed.post", "text": "Homework #physics101", "createdAt": "2026-11-23T09:10:00.000Z",
            "facets": [{"index": {"byteStart": 9, "byteEnd": 20}, "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "physics101"}]}]}}})
        .to_string();
    }
    Ok(frames)
}

fn watch_list(rng: &mut Rng, rooms: usize) -> WatchList {
    let tags = tag_pool(rng, 5000);
    let mut list: Vec<(u64, Vec<String>)> = (1..rooms as u64)
        .map(|room| {
            let n = 1 + rng.below(3);
            (room, (0..n).map(|_| tags[rng.below(5000) as usize].clone()).collect())
        })
        .collect();
    list.push((rooms as u64, vec!["physics101".to_owned()]));
    WatchList::from_rooms(list).completed()
}

/// CPU time of this (single-threaded) process so far.
fn cpu_time() -> anyhow::Result<Duration> {
    let schedstat =
        std::fs::read_to_string("/proc/self/schedstat").context("reading /proc/self/schedstat (Linux only)")?;
    let ns: u64 = schedstat
        .split_whitespace()
        .next()
        .context("empty schedstat")?
        .parse()?;
    Ok(Duration::from_nanos(ns))
}

fn run_all(frames: &[String], watch: &WatchList) -> (usize, usize, usize) {
    let mut filter = Filter::new(100_000, 10_000);
    let (mut items, mut retracts, mut errors) = (0, 0, 0);
    for f in frames {
        match filter.handle(f, watch) {
            Ok(seen) => match seen.action {
                Action::Item(_) => items += 1,
                Action::Retract(_) => retracts += 1,
                Action::Nothing => {}
            },
            Err(_) => errors += 1,
        }
    }
    (items, retracts, errors)
}

fn main() -> anyhow::Result<()> {
    let o = options()?;
    let mut rng = Rng(o.seed.max(1));
    let frames = sample(&o, &mut rng)?;
    if let Some(path) = &o.write_sample {
        std::fs::write(path, frames.join("\n") + "\n")?;
    }
    let watch = watch_list(&mut rng, o.rooms);
    let bytes: usize = frames.iter().map(String::len).sum();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "sample: {} frames, {:.0} bytes/frame on average ({}); watch list: {} rooms, {} hashtags",
        frames.len(),
        bytes as f64 / frames.len() as f64,
        o.sample.as_deref().unwrap_or("generated"),
        watch.len(),
        watch.all_tags().len()
    )?;

    // 1. Flat out: cost per frame.
    let _ = run_all(&frames, &watch); // warm-up
    let passes = 5;
    let (cpu0, wall0) = (cpu_time()?, Instant::now());
    let mut counts = (0, 0, 0);
    for _ in 0..passes {
        counts = run_all(&frames, &watch);
    }
    let (cpu, wall) = (cpu_time()? - cpu0, wall0.elapsed());
    let n = (frames.len() * passes) as f64;
    let ns_per_frame = cpu.as_nanos() as f64 / n;
    writeln!(
        out,
        "flat out: {:.2} µs CPU per frame, {:.0} frames/s on one core ({:.1} MB/s of JSON); wall {:.2} s; per pass: {} items, {} retracts, {} undecodable",
        ns_per_frame / 1000.0,
        1e9 / ns_per_frame,
        bytes as f64 * passes as f64 / cpu.as_secs_f64() / 1e6,
        wall.as_secs_f64(),
        counts.0,
        counts.1,
        counts.2
    )?;

    // 2. Paced at the network's rate: the CPU share the stream costs.
    let mut filter = Filter::new(100_000, 10_000);
    let tick = Duration::from_millis(10);
    let per_tick = (o.rate as f64 * tick.as_secs_f64()).max(1.0);
    let (cpu0, start) = (cpu_time()?, Instant::now());
    let (mut handled, mut owed, mut next, mut i) = (0u64, 0.0f64, start, 0usize);
    while start.elapsed() < Duration::from_secs(o.seconds) {
        owed += per_tick;
        while owed >= 1.0 {
            let _ = filter.handle(&frames[i % frames.len()], &watch);
            i += 1;
            handled += 1;
            owed -= 1.0;
        }
        next += tick;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
    }
    let (cpu, wall) = (cpu_time()? - cpu0, start.elapsed());
    writeln!(
        out,
        "paced: {} frames/s for {:.1} s ({} frames): {:.3} s CPU = {:.2} % of one core",
        o.rate,
        wall.as_secs_f64(),
        handled,
        cpu.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
    )?;
    Ok(())
}
