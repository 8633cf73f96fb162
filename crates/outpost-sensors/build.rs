//! Compiles the eBPF connection sensor (feature `ebpf`) into a libbpf-rs skeleton.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "ebpf")]
    ebpf::build();
}

#[cfg(feature = "ebpf")]
mod ebpf {
    use std::path::PathBuf;

    pub fn build() {
        let src = "bpf/conn.bpf.c";
        println!("cargo:rerun-if-changed={src}");
        println!("cargo:rerun-if-changed=bpf/vmlinux_min.h");
        let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
            .join("conn.skel.rs");
        let clang = std::env::var_os("OUTPOST_BPF_CLANG").unwrap_or_else(|| "clang".into());
        if let Err(e) = libbpf_cargo::SkeletonBuilder::new()
            .source(src)
            .clang(clang)
            .clang_args(["-Ibpf", "-Wno-visibility", "-O2"])
            .build_and_generate(&out)
        {
            panic!(
                "building the eBPF sensor failed (install clang: `apt-get install clang libelf-dev zlib1g-dev`, \
                 or build without the `ebpf` feature): {e:#}"
            );
        }
    }
}
