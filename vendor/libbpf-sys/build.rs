//! Outpost's build of libbpf-sys: compiles zlib, elfutils' libelf and libbpf from the sources
//! in this directory with the `cc` crate and links the three statically.
//!
//! Upstream's build script runs `./configure`, `autoreconf` (elfutils), `make` and
//! `pkg-config`, or links the system's libelf/zlib, so a machine without `libelf-dev`,
//! `zlib1g-dev`, autotools, flex and bison could not build it. Here the only tool needed is
//! the target's C compiler (`cc`, `musl-gcc`, `aarch64-linux-gnu-gcc` — whatever the `cc`
//! crate picks for the target). What `configure` would have found out is written down in
//! `config.h` below, per C library (glibc or musl).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

const ZLIB: &[&str] = &[
    "adler32.c", "compress.c", "crc32.c", "deflate.c", "gzclose.c", "gzlib.c", "gzread.c",
    "gzwrite.c", "infback.c", "inffast.c", "inflate.c", "inftrees.c", "trees.c", "uncompr.c",
    "zutil.c",
];

// elfutils/libelf/Makefile.am: libelf_a_SOURCES (0.191).
const LIBELF: &[&str] = &[
    "elf_version.c", "elf_hash.c", "elf_error.c", "elf_fill.c", "elf_begin.c", "elf_next.c",
    "elf_rand.c", "elf_end.c", "elf_kind.c", "gelf_getclass.c", "elf_getbase.c",
    "elf_getident.c", "elf32_fsize.c", "elf64_fsize.c", "gelf_fsize.c", "elf32_xlatetof.c",
    "elf32_xlatetom.c", "elf64_xlatetof.c", "elf64_xlatetom.c", "gelf_xlate.c",
    "elf32_getehdr.c", "elf64_getehdr.c", "gelf_getehdr.c", "elf32_newehdr.c",
    "elf64_newehdr.c", "gelf_newehdr.c", "gelf_update_ehdr.c", "elf32_getphdr.c",
    "elf64_getphdr.c", "gelf_getphdr.c", "elf32_newphdr.c", "elf64_newphdr.c",
    "gelf_newphdr.c", "gelf_update_phdr.c", "elf_getarhdr.c", "elf_getarsym.c",
    "elf_rawfile.c", "elf_readall.c", "elf_cntl.c", "elf_getscn.c", "elf_nextscn.c",
    "elf_ndxscn.c", "elf_newscn.c", "elf32_getshdr.c", "elf64_getshdr.c", "gelf_getshdr.c",
    "gelf_update_shdr.c", "elf_strptr.c", "elf_rawdata.c", "elf_getdata.c", "elf_newdata.c",
    "elf_getdata_rawchunk.c", "elf_flagelf.c", "elf_flagehdr.c", "elf_flagphdr.c",
    "elf_flagscn.c", "elf_flagshdr.c", "elf_flagdata.c", "elf_memory.c", "elf_update.c",
    "elf32_updatenull.c", "elf64_updatenull.c", "elf32_updatefile.c", "elf64_updatefile.c",
    "gelf_getsym.c", "gelf_update_sym.c", "gelf_getversym.c", "gelf_getverneed.c",
    "gelf_getvernaux.c", "gelf_getverdef.c", "gelf_getverdaux.c", "gelf_getrel.c",
    "gelf_getrela.c", "gelf_update_rel.c", "gelf_update_rela.c", "gelf_getdyn.c",
    "gelf_update_dyn.c", "gelf_getmove.c", "gelf_update_move.c", "gelf_getsyminfo.c",
    "gelf_update_syminfo.c", "gelf_getauxv.c", "gelf_update_auxv.c", "gelf_getnote.c",
    "gelf_xlatetof.c", "gelf_xlatetom.c", "nlist.c", "gelf_getsymshndx.c",
    "gelf_update_symshndx.c", "gelf_update_versym.c", "gelf_update_verneed.c",
    "gelf_update_vernaux.c", "gelf_update_verdef.c", "gelf_update_verdaux.c",
    "elf_getphdrnum.c", "elf_getshdrnum.c", "elf_getshdrstrndx.c", "gelf_checksum.c",
    "elf32_checksum.c", "elf64_checksum.c", "libelf_crc32.c", "libelf_next_prime.c",
    "elf_clone.c", "gelf_getlib.c", "gelf_update_lib.c", "elf32_offscn.c", "elf64_offscn.c",
    "gelf_offscn.c", "elf_getaroff.c", "elf_gnu_hash.c", "elf_scnshndx.c", "elf32_getchdr.c",
    "elf64_getchdr.c", "gelf_getchdr.c", "elf_compress.c", "elf_compress_gnu.c",
];

// libbpf/src/Makefile: OBJS (v1.7.0).
const LIBBPF: &[&str] = &[
    "bpf.c", "btf.c", "libbpf.c", "libbpf_utils.c", "netlink.c", "nlattr.c",
    "libbpf_probes.c", "bpf_prog_linfo.c", "btf_dump.c", "hashmap.c", "ringbuf.c", "strset.c",
    "linker.c", "gen_loader.c", "relo_core.c", "usdt.c", "zip.c", "elf.c", "features.c",
    "btf_iter.c", "btf_relocate.c",
];

fn main() {
    let src = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    println!("cargo:rerun-if-changed=build.rs");
    for dir in ["zlib", "elfutils/libelf", "elfutils/lib", "libbpf/src", "libbpf/include"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    if target_os != "linux" {
        // libbpf is Linux-only; nothing to build (the bindings still compile, unlinked).
        return;
    }

    let zlib = src.join("zlib");
    let libelf = src.join("elfutils/libelf");
    let eulib = src.join("elfutils/lib");
    let libbpf = src.join("libbpf");

    // The musl toolchain (Debian's musl-gcc) has no Linux UAPI headers of its own; libbpf
    // needs <linux/...> and <asm/...>. Give it the kernel headers (linux-libc-dev) alone,
    // not the glibc include directory around them.
    let kernel_headers = if target_env == "musl" { musl_kernel_headers(&out) } else { None };

    let base = |b: &mut cc::Build| {
        b.warnings(false).extra_warnings(false).pic(true).opt_level(2).debug(false);
        if let Some(dir) = &kernel_headers {
            // Searched after everything else: libbpf's own newer UAPI headers win.
            b.flag(format!("-idirafter{}", dir.display()));
        }
    };

    // zlib (the release's zconf.h as shipped; no ./configure).
    let mut b = cc::Build::new();
    base(&mut b);
    b.include(&zlib)
        .define("_LARGEFILE64_SOURCE", "1")
        .define("HAVE_UNISTD_H", None)
        .define("HAVE_STDARG_H", None)
        .define("HAVE_HIDDEN", None)
        .files(ZLIB.iter().map(|f| zlib.join(f)))
        .compile("z");

    // libelf, with the config.h `configure` would write.
    let cfg_dir = out.join("elfutils-config");
    fs::create_dir_all(&cfg_dir).expect("create OUT_DIR/elfutils-config");
    fs::write(cfg_dir.join("config.h"), config_h(&target_env)).expect("write config.h");
    let mut b = cc::Build::new();
    base(&mut b);
    b.include(&cfg_dir)
        .include(&libelf)
        .include(&eulib)
        .include(&zlib)
        .define("HAVE_CONFIG_H", None)
        .define("_GNU_SOURCE", None)
        .define("_FILE_OFFSET_BITS", "64")
        .flag_if_supported("-std=gnu11")
        .flag_if_supported("-fvisibility=hidden")
        .files(LIBELF.iter().map(|f| libelf.join(f)));
    if target_env == "musl" {
        // No <error.h>: elfutils' own error() (lib/error.c).
        b.file(eulib.join("error.c"));
    }
    b.compile("elf");

    // libbpf.
    let mut b = cc::Build::new();
    base(&mut b);
    b.include(libbpf.join("src"))
        .include(libbpf.join("include"))
        .include(libbpf.join("include/uapi"))
        .include(&libelf)
        .include(&zlib)
        .define("_LARGEFILE64_SOURCE", None)
        .define("_FILE_OFFSET_BITS", "64")
        .flag_if_supported("-std=gnu89")
        .flag_if_supported("-Wno-format-overflow")
        .files(LIBBPF.iter().map(|f| libbpf.join("src").join(f)));
    if let Ok(extra) = env::var("LIBBPF_SYS_EXTRA_CFLAGS") {
        for f in extra.split_whitespace() {
            b.flag(f);
        }
    }
    println!("cargo:rerun-if-env-changed=LIBBPF_SYS_EXTRA_CFLAGS");
    b.compile("bpf");

    // The `cc` crate emitted `rustc-link-lib=static=z`, `=elf`, `=bpf`: rustc bundles the
    // three archives into this crate's rlib, so the final link needs no system library.

    // Headers for dependents (libbpf-cargo compiles BPF programs against them).
    let inc = out.join("include/bpf");
    fs::create_dir_all(&inc).expect("create OUT_DIR/include/bpf");
    for h in [
        "bpf.h", "libbpf.h", "btf.h", "libbpf_common.h", "libbpf_legacy.h", "bpf_helpers.h",
        "bpf_helper_defs.h", "bpf_tracing.h", "bpf_endian.h", "bpf_core_read.h",
        "skel_internal.h", "libbpf_version.h", "usdt.bpf.h",
    ] {
        let from = libbpf.join("src").join(h);
        if from.exists() {
            fs::copy(&from, inc.join(h)).expect("copy libbpf header");
        }
    }
    println!("cargo:include={}", out.join("include").display());
}

/// What elfutils' `configure` determines, for the two C libraries Outpost builds with.
fn config_h(target_env: &str) -> String {
    let musl = target_env == "musl";
    let mut s = String::from(
        "/* Written by libbpf-sys/build.rs in place of elfutils' configure. */\n\
         #define PACKAGE_NAME \"elfutils\"\n\
         #define PACKAGE_VERSION \"0.191\"\n\
         #define PACKAGE_URL \"http://elfutils.org/\"\n\
         #define HAVE_VISIBILITY 1\n\
         #define HAVE_GCC_STRUCT 1\n\
         #define HAVE_FALLTHROUGH 1\n\
         #define HAVE_STDATOMIC_H 1\n\
         #define HAVE_MREMAP 1\n\
         #define HAVE_DECL_MEMPCPY 1\n\
         #define HAVE_DECL_MEMRCHR 1\n\
         #define HAVE_DECL_REALLOCARRAY 1\n",
    );
    let tail = "#include <eu-config.h>\n";
    if musl {
        // musl: no rawmemchr, no <error.h> (err.h instead); powerof2 is in <sys/param.h>.
        s.push_str(
            "#define HAVE_DECL_RAWMEMCHR 0\n\
             #define HAVE_DECL_POWEROF2 1\n\
             #define HAVE_ERR_H 1\n",
        );
    } else {
        s.push_str(
            "#define HAVE_DECL_RAWMEMCHR 1\n\
             #define HAVE_DECL_POWEROF2 1\n\
             #define HAVE_ERROR_H 1\n",
        );
    }
    // configure.ac's AH_BOTTOM.
    s.push_str(tail);
    s
}

/// A directory holding only `linux/`, `asm/` and `asm-generic/` from the build machine's
/// kernel headers (Debian: linux-libc-dev, which musl-tools pulls in), for musl-gcc.
fn musl_kernel_headers(out: &Path) -> Option<PathBuf> {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let multiarch = format!("/usr/include/{arch}-linux-gnu");
    let dir = out.join("kernel-headers");
    let _ = fs::create_dir_all(&dir);
    let mut found = false;
    for (name, from) in [
        ("linux", PathBuf::from("/usr/include/linux")),
        ("asm-generic", PathBuf::from("/usr/include/asm-generic")),
        ("asm", Path::new(&multiarch).join("asm")),
    ] {
        let link = dir.join(name);
        if from.is_dir() {
            let _ = fs::remove_file(&link);
            #[cfg(unix)]
            if std::os::unix::fs::symlink(&from, &link).is_ok() {
                found |= name == "linux";
            }
        }
    }
    found.then_some(dir)
}
