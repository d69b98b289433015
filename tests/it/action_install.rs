//! Issue 16: the action installs a release only when the archive's SHA-256 is the expected one.

use std::path::{Path, PathBuf};

use crate::action_support::Runner;

/// A release directory as dist lays it out. Its `kusto-principals` is a small script that answers
/// `--version` like the binary (packing the 80 MB debug binary with xz would take minutes).
fn fake_release(root: &Path, target: &str) -> (PathBuf, String) {
    let name = format!("kusto-principals-{target}");
    let stage = root.join("stage").join(&name);
    std::fs::create_dir_all(&stage).unwrap();
    let exe = stage.join("kusto-principals");
    std::fs::write(
        &exe,
        format!(
            "#!/bin/sh\necho \"kusto-principals {} (from the archive)\"\n",
            env!("CARGO_PKG_VERSION")
        ),
    )
    .unwrap();
    std::fs::write(stage.join("CHANGELOG.md"), "# Changelog\n").unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let dir = root.join("releases").join(format!("v{version}"));
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(format!("{name}.tar.xz"));
    let tar = std::process::Command::new("tar")
        .arg("-cJf")
        .arg(&archive)
        .arg("-C")
        .arg(root.join("stage"))
        .arg(&name)
        .status()
        .unwrap();
    assert!(tar.success());
    let digest = {
        use sha2::{Digest, Sha256};
        let bytes = std::fs::read(&archive).unwrap();
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    std::fs::write(
        dir.join(format!("{name}.tar.xz.sha256")),
        format!("{digest} *{name}.tar.xz\n"),
    )
    .unwrap();
    (root.join("releases"), digest)
}

#[test]
fn install_puts_the_release_on_path_only_when_its_sha256_matches() {
    let r = Runner::new();
    let root = r.env.dir.path();
    let (releases, digest) = fake_release(root, "x86_64-unknown-linux-gnu");
    let url = format!("file://{}", releases.display());
    let github_path = root.join("github-path");
    let install = |sha: &str| {
        std::fs::write(&github_path, "").unwrap();
        r.script(
            "install.sh",
            &[
                ("KP_VERSION", env!("CARGO_PKG_VERSION")),
                ("KP_RELEASES_URL", &url),
                ("KP_SHA256", sha),
                ("RUNNER_OS", "Linux"),
                ("RUNNER_ARCH", "X64"),
                ("GITHUB_PATH", github_path.to_str().unwrap()),
            ],
        )
    };
    let bin_dir = root.join("runner-temp").join("kusto-principals-bin");

    let wrong = install(&"0".repeat(64));
    assert_eq!(wrong.run.code, 1, "{:?}", wrong.run);
    assert!(
        wrong.run.stdout.contains("not installed"),
        "{:?}",
        wrong.run
    );
    assert_eq!(std::fs::read_to_string(&github_path).unwrap(), "");
    assert!(!bin_dir.exists());

    let pinned = install(&digest);
    assert_eq!(pinned.run.code, 0, "{:?}", pinned.run);
    assert!(
        pinned.run.stdout.contains(&format!(
            "installed kusto-principals {} (from the archive)",
            env!("CARGO_PKG_VERSION")
        )),
        "the installed copy is the one on PATH: {:?}",
        pinned.run
    );
    assert!(pinned.outputs["version"].starts_with(env!("CARGO_PKG_VERSION")));
    assert_eq!(
        std::fs::read_to_string(&github_path).unwrap().trim(),
        bin_dir.to_str().unwrap()
    );
    assert!(bin_dir.join("kusto-principals").is_file());

    // Without a pinned digest: the release's own checksum, with a warning.
    let unpinned = install("");
    assert_eq!(unpinned.run.code, 0, "{:?}", unpinned.run);
    assert!(
        unpinned.run.stdout.contains("::warning"),
        "{:?}",
        unpinned.run
    );
}
