//! The eBPF connection sensor (feature `ebpf`): its libbpf-rs skeleton (which embeds the BPF
//! object) comes from one of two places.
//!
//! * clang present (`OUTPOST_BPF_CLANG`, default `clang`): `bpf/conn.bpf.c` is compiled here
//!   with fixed flags (libbpf-cargo links the object, which drops DWARF and its build paths)
//!   and the skeleton generated into `OUT_DIR`. A unit test (`net::ebpf::tests`) compares it
//!   byte for byte with the committed one, so CI proves the committed build is reproducible.
//! * no clang: the committed `bpf/conn.skel.rs` is used, after checking that it was generated
//!   from the sources as they are now (their SHA-256 is in its first line); a stale skeleton
//!   fails the build with the command that regenerates it (`scripts/bpf-skeleton.sh`).
//!
//! `OUTPOST_BPF_SKELETON=committed` forces the second way (the bare-machine CI check uses it
//! besides hiding clang).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(outpost_bpf_from_source)");
    #[cfg(feature = "ebpf")]
    ebpf::build();
}

#[cfg(feature = "ebpf")]
mod ebpf {
    use sha2::{Digest, Sha256};
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};

    const SOURCES: [&str; 2] = ["bpf/conn.bpf.c", "bpf/vmlinux_min.h"];
    const COMMITTED: &str = "bpf/conn.skel.rs";

    /// The first line of a skeleton: which sources (by SHA-256) it was generated from.
    pub fn header() -> String {
        let mut h = Sha256::new();
        for src in SOURCES {
            let bytes = std::fs::read(src).unwrap_or_else(|e| panic!("reading {src}: {e}"));
            h.update(src.as_bytes());
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
        format!(
            "// @generated from bpf/conn.bpf.c + bpf/vmlinux_min.h (sha256 {}) by build.rs; \
             regenerate with scripts/bpf-skeleton.sh\n",
            hex::encode(h.finalize())
        )
    }

    fn clang_works(clang: &std::ffi::OsStr) -> bool {
        Command::new(clang)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    pub fn build() {
        for src in SOURCES.iter().chain([&COMMITTED]) {
            println!("cargo:rerun-if-changed={src}");
        }
        println!("cargo:rerun-if-env-changed=OUTPOST_BPF_CLANG");
        println!("cargo:rerun-if-env-changed=OUTPOST_BPF_SKELETON");
        let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
            .join("conn.skel.rs");
        let header = header();
        let clang = std::env::var_os("OUTPOST_BPF_CLANG").unwrap_or_else(|| "clang".into());
        let forced = std::env::var("OUTPOST_BPF_SKELETON").is_ok_and(|v| v == "committed");
        if !forced && clang_works(&clang) {
            let body = out.with_extension("body.rs");
            // Nothing of the build machine in the object: clang records the source's absolute
            // path in the BTF line info, so map the crate directory to `.` (and no compiler
            // identification string).
            let crate_dir =
                std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
            let prefix_map = format!("-ffile-prefix-map={crate_dir}=.");
            if let Err(e) = libbpf_cargo::SkeletonBuilder::new()
                .source(SOURCES[0])
                .clang(&clang)
                .clang_args([
                    "-Ibpf",
                    "-Wno-visibility",
                    "-O2",
                    "-fno-ident",
                    prefix_map.as_str(),
                ])
                .build_and_generate(&body)
            {
                panic!(
                    "building the eBPF sensor with {} failed: {e:#}\n(without clang the committed \
                     {COMMITTED} is used; OUTPOST_BPF_SKELETON=committed forces that)",
                    Path::new(&clang).display()
                );
            }
            let body = std::fs::read_to_string(&body).expect("reading the generated skeleton");
            std::fs::write(&out, format!("{header}{body}")).expect("writing the skeleton");
            println!("cargo:rustc-cfg=outpost_bpf_from_source");
            return;
        }
        let committed = std::fs::read_to_string(COMMITTED)
            .unwrap_or_else(|e| panic!("reading the committed eBPF skeleton {COMMITTED}: {e}"));
        if !committed.starts_with(&header) {
            panic!(
                "{COMMITTED} was generated from other sources than bpf/conn.bpf.c and \
                 bpf/vmlinux_min.h as they are now, and there is no clang here to compile them: \
                 install clang, or run scripts/bpf-skeleton.sh where clang is (or build without \
                 the `ebpf` feature)"
            );
        }
        std::fs::write(&out, committed).expect("writing the skeleton");
    }
}
