//! A network namespace of the test's own, joined to this one by a veth pair: the only network a
//! WebRTC peer started inside it can reach is the relay's side of the pair (never this machine's
//! other addresses). Removed again on drop.

use std::process::Command;

pub struct TestNet {
    pub name: String,
    /// The address on this side (the relay listens and binds media here).
    pub host_ip: String,
    /// The address inside the namespace.
    pub ns_ip: String,
    host_if: String,
}

/// Runs `ip` with `args`; the error names the command and what `ip` said.
pub fn ip_cmd(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl TestNet {
    /// Creates namespace `tp-<tag>-<pid>` with a /30 on a veth pair. Panics with the reason if
    /// it can not (the tests run as root).
    pub fn create(tag: &str) -> TestNet {
        let pid = std::process::id();
        // A subnet per test process and tag, inside 10.231.0.0/16.
        let n = (pid
            .wrapping_mul(31)
            .wrapping_add(tag.bytes().map(u32::from).sum::<u32>()))
            % 16_000;
        let (third, fourth) = (n / 64, (n % 64) * 4);
        let host_ip = format!("10.231.{third}.{}", fourth + 1);
        let ns_ip = format!("10.231.{third}.{}", fourth + 2);
        let name = format!("tp-{tag}-{pid}");
        let short = format!("{:x}", n);
        let host_if = format!("tph{short}");
        let ns_if = format!("tpn{short}");
        let net = TestNet {
            name: name.clone(),
            host_ip: host_ip.clone(),
            ns_ip: ns_ip.clone(),
            host_if: host_if.clone(),
        };
        let steps: Vec<Vec<String>> = vec![
            vec!["netns".into(), "add".into(), name.clone()],
            vec![
                "link".into(),
                "add".into(),
                host_if.clone(),
                "type".into(),
                "veth".into(),
                "peer".into(),
                "name".into(),
                ns_if.clone(),
            ],
            vec![
                "link".into(),
                "set".into(),
                ns_if.clone(),
                "netns".into(),
                name.clone(),
            ],
            vec![
                "addr".into(),
                "add".into(),
                format!("{host_ip}/30"),
                "dev".into(),
                host_if.clone(),
            ],
            vec!["link".into(), "set".into(), host_if.clone(), "up".into()],
            vec![
                "-n".into(),
                name.clone(),
                "addr".into(),
                "add".into(),
                format!("{ns_ip}/30"),
                "dev".into(),
                ns_if.clone(),
            ],
            vec![
                "-n".into(),
                name.clone(),
                "link".into(),
                "set".into(),
                ns_if.clone(),
                "up".into(),
            ],
            vec![
                "-n".into(),
                name.clone(),
                "link".into(),
                "set".into(),
                "lo".into(),
                "up".into(),
            ],
        ];
        for step in steps {
            let args: Vec<&str> = step.iter().map(String::as_str).collect();
            if let Err(e) = ip_cmd(&args) {
                panic!("could not create the test network namespace: {e}");
            }
        }
        net
    }

    /// Lets the namespace reach `ip` (an address of this machine on another test network, e.g.
    /// the relay's) through its own pair.
    pub fn route_to(&self, ip: &str) {
        if let Err(e) = ip_cmd(&[
            "-n",
            &self.name,
            "route",
            "add",
            &format!("{ip}/32"),
            "via",
            &self.host_ip,
        ]) {
            panic!("could not route the test network: {e}");
        }
    }

    /// `program` run inside the namespace.
    pub fn command(&self, program: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new("ip");
        cmd.args(["netns", "exec", &self.name, program]);
        cmd
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        let _ = ip_cmd(&["link", "del", &self.host_if]);
        let _ = ip_cmd(&["netns", "del", &self.name]);
    }
}
