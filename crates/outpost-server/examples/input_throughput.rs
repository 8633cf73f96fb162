//! Throughput of `[[inputs]]`: N records (the shared Tetragon or Falco samples,
//! repeated) are produced to a Kafka topic or a JetStream subject first; then a server state
//! with that one input (detection on: static engine + the rules of `RULES_DIR` if set; one
//! file output) consumes, maps, scores, stores and queues them. The clock and the process's
//! CPU time (user + system, from /proc/self/stat) run from the input's start until every
//! record was acknowledged. Prints events/s (wall) and events per CPU-second.
//!
//! `input_throughput <kafka|nats> <tetragon|falco> <N> <shared sensors dir>`, with
//! OUTPOST_TEST_KAFKA_ADDR / OUTPOST_TEST_NATS_URL set (`scripts/services.sh env`).

use std::time::{Duration, Instant};

fn cpu_secs() -> f64 {
    // utime + stime, in clock ticks (100 per second on Linux).
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (t(11) + t(12)) / 100.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(
        args.len() == 5,
        "usage: input_throughput <kafka|nats> <tetragon|falco> <N> <sensors dir>"
    );
    let (source, format, n, dir) = (
        args[1].as_str(),
        args[2].as_str(),
        args[3].parse::<usize>()?,
        std::path::PathBuf::from(&args[4]),
    );
    let file = match format {
        "tetragon" => dir.join("tetragon/events.jsonl"),
        _ => dir.join("falco/alerts.jsonl"),
    };
    let samples: Vec<Vec<u8>> = std::fs::read_to_string(&file)?
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.as_bytes().to_vec())
        .collect();
    let records: Vec<Vec<u8>> = samples.iter().cycle().take(n).cloned().collect();
    let tmp = tempfile::tempdir()?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let name = format!("bench-{}", &id[..8]);
    let input = match source {
        "kafka" => {
            let addr = std::env::var("OUTPOST_TEST_KAFKA_ADDR")?;
            let topic = format!("bench-{id}");
            let client = rskafka::client::ClientBuilder::new(vec![addr.clone()])
                .build()
                .await?;
            client
                .controller_client()?
                .create_topic(topic.clone(), 1, 1, 5_000)
                .await?;
            let pc = client
                .partition_client(
                    topic.clone(),
                    0,
                    rskafka::client::partition::UnknownTopicHandling::Retry,
                )
                .await?;
            for chunk in records.chunks(500) {
                let recs = chunk
                    .iter()
                    .map(|v| rskafka::record::Record {
                        key: None,
                        value: Some(v.clone()),
                        headers: Default::default(),
                        timestamp: chrono::Utc::now(),
                    })
                    .collect();
                pc.produce(recs, rskafka::client::partition::Compression::NoCompression)
                    .await?;
            }
            format!("type = \"kafka\"\nbrokers = [\"{addr}\"]\ntopics = [\"{topic}\"]\n")
        }
        _ => {
            let url = std::env::var("OUTPOST_TEST_NATS_URL")?;
            let subject = format!("bench.{id}");
            let stream = format!("BENCH_{id}");
            let js = async_nats::jetstream::new(async_nats::connect(url.as_str()).await?);
            js.get_or_create_stream(async_nats::jetstream::stream::Config {
                name: stream.clone(),
                subjects: vec![subject.clone()],
                ..Default::default()
            })
            .await?;
            for r in &records {
                js.publish(subject.clone(), r.clone().into()).await?;
            }
            js.publish(subject.clone(), b"{}".to_vec().into())
                .await?
                .await?;
            format!(
                "type = \"nats\"\nurl = \"{url}\"\nsubject = \"{subject}\"\njetstream = true\nstream = \"{stream}\"\n"
            )
        }
    };
    let rules = std::env::var("RULES_DIR")
        .map(|d| format!("rules_dir = {d:?}\n"))
        .unwrap_or_default();
    let cfg_path = tmp.path().join("server.toml");
    std::fs::write(
        &cfg_path,
        format!(
            "data_dir = {data:?}\n[detect]\n{rules}[[outputs]]\nname = \"siem\"\ntype = \"file\"\npath = {out:?}\n[[inputs]]\nname = \"{name}\"\nformat = \"{format}\"\ntenant = \"acme\"\n{input}",
            data = tmp.path().join("data").display().to_string(),
            out = tmp.path().join("events.jsonl").display().to_string(),
        ),
    )?;
    let cfg = outpost_server::config::ServerConfig::load(Some(&cfg_path))?;
    let store = outpost_store::Store::open_sqlite_dir(&tmp.path().join("db")).await?;
    store.migrate().await?;
    store.create_tenant("acme").await?;
    let state = outpost_server::build_state(cfg, store).await?;
    let registry = state.registry.clone();
    let (c0, t0) = (cpu_secs(), Instant::now());
    let inputs = outpost_server::inputs::Inputs::start(&state);
    let done = |registry: &prometheus_client::registry::Registry| -> u64 {
        let mut s = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut s, registry);
        s.lines()
            .filter(|l| l.starts_with("outpost_input_records_total{") && l.contains(&name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };
    let want = if source == "nats" {
        n as u64 + 1
    } else {
        n as u64
    };
    while done(&registry) < want {
        anyhow::ensure!(t0.elapsed() < Duration::from_secs(1800), "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_secs() - c0);
    inputs.stop().await;
    println!(
        "{source} {format}: {n} events in {wall:.2} s wall ({:.0} events/s), {cpu:.2} CPU-s ({:.0} events/CPU-s)",
        n as f64 / wall,
        n as f64 / cpu.max(0.01)
    );
    Ok(())
}
