//! Container attribution from `/proc/PID/cgroup` (cgroup v1 and v2 layouts of docker,
//! containerd/CRI, cri-o, podman and lxc).

use outpost_core::ContainerInfo;
use serde::Serialize;

/// The runtime a container id was found under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContainerRuntime {
    Docker,
    Containerd,
    CriO,
    Podman,
    /// A Kubernetes pod under the cgroupfs driver, where the CRI runtime is not named.
    Cri,
    Lxc,
}

impl ContainerRuntime {
    /// The name used in [`ContainerInfo::runtime`].
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerRuntime::Docker => "docker",
            ContainerRuntime::Containerd => "containerd",
            ContainerRuntime::CriO => "cri-o",
            ContainerRuntime::Podman => "podman",
            ContainerRuntime::Cri => "cri",
            ContainerRuntime::Lxc => "lxc",
        }
    }
}

fn is_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Recognizes one cgroup path component, given the component before it.
fn component(prev: &str, c: &str, path: &str) -> Option<(ContainerRuntime, String)> {
    let scoped = |prefix: &str| {
        c.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(".scope"))
            .filter(|id| is_id(id))
            .map(str::to_string)
    };
    if let Some(id) = scoped("docker-") {
        return Some((ContainerRuntime::Docker, id));
    }
    if let Some(id) = scoped("cri-containerd-") {
        return Some((ContainerRuntime::Containerd, id));
    }
    if let Some(id) = scoped("crio-") {
        return Some((ContainerRuntime::CriO, id));
    }
    if let Some(id) = scoped("libpod-") {
        return Some((ContainerRuntime::Podman, id));
    }
    if is_id(c) {
        let rt = match prev {
            "docker" => ContainerRuntime::Docker,
            "libpod_parent" => ContainerRuntime::Podman,
            _ if prev.starts_with("pod") && path.contains("kubepods") => ContainerRuntime::Cri,
            "default" | "k8s.io" => ContainerRuntime::Containerd,
            _ => return None,
        };
        return Some((rt, c.to_string()));
    }
    if let Some(id) = c.strip_prefix("libpod-").filter(|id| is_id(id)) {
        return Some((ContainerRuntime::Podman, id.to_string()));
    }
    if prev == "lxc" && !c.is_empty() {
        return Some((ContainerRuntime::Lxc, c.to_string()));
    }
    if let Some(name) = c.strip_prefix("lxc.payload.").filter(|n| !n.is_empty()) {
        return Some((ContainerRuntime::Lxc, name.to_string()));
    }
    None
}

/// The container a process belongs to, from the content of its `/proc/PID/cgroup`.
///
/// Every line (`hierarchy-id:controllers:path`, v1 and the v2 `0::path`) is examined; within a
/// path the deepest recognized component wins (podman's `libpod-<id>.scope/container`). Conmon
/// and other runtime helpers (`crio-conmon-…`, `libpod-conmon-…`) are not containers.
pub fn parse_cgroup(content: &str) -> Option<ContainerInfo> {
    for line in content.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(_), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let mut prev = "";
        let mut found = None;
        for c in path.split('/') {
            if let Some(hit) = component(prev, c, path) {
                found = Some(hit);
            }
            prev = c;
        }
        if let Some((rt, id)) = found {
            return Some(ContainerInfo {
                id,
                runtime: rt.as_str().to_string(),
                name: None,
                image: None,
            });
        }
    }
    None
}

/// Name and image of a docker container from its `config.v2.json`, when readable.
pub fn docker_details(info: &mut ContainerInfo) {
    if info.runtime != "docker" {
        return;
    }
    let path = format!("/var/lib/docker/containers/{}/config.v2.json", info.id);
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return;
    };
    info.name = v
        .get("Name")
        .and_then(|n| n.as_str())
        .map(|n| n.trim_start_matches('/').to_string());
    info.image = v
        .get("Config")
        .and_then(|c| c.get("Image"))
        .and_then(|n| n.as_str())
        .map(str::to_string);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID: &str = "9f3c2b1a0e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b";

    fn rt(content: &str) -> Option<(String, String)> {
        parse_cgroup(content).map(|c| (c.runtime, c.id))
    }

    /// A cgroup file of each runtime and layout (`{ID}`: the container's id).
    #[test]
    fn runtimes_by_cgroup_layout() {
        let cases = [
            // Docker: cgroup v1 with the cgroupfs driver, v2 with the systemd driver.
            (
                "12:pids:/docker/{ID}\n11:memory:/docker/{ID}\n1:name=systemd:/docker/{ID}\n0::/system.slice/containerd.service\n",
                "docker",
            ),
            ("0::/system.slice/docker-{ID}.scope\n", "docker"),
            // Kubernetes: containerd (systemd driver, v2), CRI-O (v1), the cgroupfs driver.
            (
                "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod3c2f9d2e_4b1a_4f0e_9d1c_2b3a4c5d6e7f.slice/cri-containerd-{ID}.scope\n",
                "containerd",
            ),
            (
                "11:cpu,cpuacct:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/crio-{ID}.scope\n",
                "cri-o",
            ),
            (
                "4:memory:/kubepods/besteffort/pod3c2f9d2e-4b1a-4f0e-9d1c-2b3a4c5d6e7f/{ID}\n",
                "cri",
            ),
            // Podman: root, rootless, cgroupfs.
            ("0::/machine.slice/libpod-{ID}.scope/container\n", "podman"),
            (
                "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope\n",
                "podman",
            ),
            ("3:pids:/libpod_parent/libpod-{ID}\n", "podman"),
        ];
        for (cgroup, runtime) in cases {
            let c = cgroup.replace("{ID}", ID);
            assert_eq!(rt(&c), Some((runtime.into(), ID.into())), "{cgroup}");
        }
    }

    /// The monitor process next to a CRI-O or Podman container is not the container.
    #[test]
    fn conmon_is_not_the_container() {
        for cgroup in [
            "0::/machine.slice/crio-conmon-{ID}.scope\n",
            "0::/machine.slice/libpod-conmon-{ID}.scope\n",
        ] {
            assert_eq!(rt(&cgroup.replace("{ID}", ID)), None, "{cgroup}");
        }
    }

    #[test]
    fn containerd_plain_and_lxc() {
        assert_eq!(
            rt(&format!("0::/default/{ID}\n")),
            Some(("containerd".into(), ID.into()))
        );
        assert_eq!(
            rt("0::/lxc.payload.web1/init.scope\n"),
            Some(("lxc".into(), "web1".into()))
        );
        assert_eq!(
            rt("5:pids:/lxc/web2\n"),
            Some(("lxc".into(), "web2".into()))
        );
    }

    #[test]
    fn host_processes_are_not_containers() {
        assert_eq!(rt("0::/init.scope\n"), None);
        assert_eq!(rt("0::/user.slice/user-1000.slice/session-2.scope\n"), None);
        assert_eq!(
            rt("4:memory:/process_api/63a56733eabe6e0d18eddb7838455144\n0::/\n"),
            None
        );
        assert_eq!(
            rt(&format!("0::/system.slice/docker-{}.scope\n", &ID[..60])),
            None
        );
        assert_eq!(rt(""), None);
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,400}") {
            let _ = parse_cgroup(&s);
        }

        #[test]
        fn finds_docker_id_anywhere(prefix in "(/[a-z.]{1,10}){0,3}", id in "[0-9a-f]{64}") {
            let c = format!("0::{prefix}/docker-{id}.scope\n");
            let info = parse_cgroup(&c).unwrap();
            prop_assert_eq!(info.id, id);
            prop_assert_eq!(info.runtime, "docker");
        }
    }
}
