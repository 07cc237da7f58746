//! The HTML reports (`report.html` of `asslb run` and `asslb validate`, `fit_report.html` of
//! `asslb fit`) open in a real browser: headless Chromium from Debian's packages loads each
//! page without an error, and every figure in it renders (an `<img>` that is complete and has a
//! width). The pages are self-contained: every image is a `data:` URI and there is no script.
//!
//! The browser is `/usr/bin/chromium` (`scripts/setup.sh` installs it). Without it these tests
//! fail, saying so, unless `ASSLB_SKIP_BROWSER=1` is set (the pages are then still written and
//! checked as text).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use asslb::measured::{Direction, Provenance};
use asslb::scenario::load_scenario_with;
use asslb::validation::{simulate, synthetic_curves, GaussianNoise, Wanted};
use common::{asslb, describe, root};

/// Debian's Chromium.
const CHROMIUM: &str = "/usr/bin/chromium";

/// The longest a page may take to load and be checked.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

/// A 1×1 PNG image, as a figure that renders.
const GOOD_PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// The checker put at the top of a copy of a page: it collects every error (scripts, and
/// resources that fail to load), and once the page has loaded writes into the page how many
/// images it has, how many of them did not render, and the errors.
const CHECKER: &str = r#"<script>
window.asslbErrors = [];
window.addEventListener('error', function (e) {
  var what = e.message || (e.target && e.target.tagName ? 'cannot load a ' + e.target.tagName : 'error');
  window.asslbErrors.push(String(what));
}, true);
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); });
  var out = document.createElement('pre');
  out.id = 'asslb-check';
  out.textContent = 'ASSLB-CHECK images=' + images.length + ' broken=' + broken.length +
    ' errors=' + window.asslbErrors.length + ' :' + window.asslbErrors.join(' | ') + ':END';
  document.body.appendChild(out);
});
</script>"#;

/// What the browser found on a page.
#[derive(Debug, PartialEq, Eq)]
struct Rendered {
    images: usize,
    broken: usize,
    errors: Vec<String>,
}

/// The browser, or `None` (with a note) when `ASSLB_SKIP_BROWSER=1` says to do without it.
fn browser() -> Option<&'static Path> {
    if Path::new(CHROMIUM).is_file() {
        return Some(Path::new(CHROMIUM));
    }
    if std::env::var("ASSLB_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("{CHROMIUM} is missing and ASSLB_SKIP_BROWSER=1: the pages are not opened");
        return None;
    }
    panic!(
        "{CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium), \
         or set ASSLB_SKIP_BROWSER=1 to skip the browser checks"
    );
}

/// Opens `html` (a page's text) in headless Chromium with the checker and reads what it found.
fn render(chromium: &Path, html: &str) -> Rendered {
    let dir = tempfile::tempdir().expect("temporary folder");
    let page = dir.path().join("checked.html");
    let checked = html.replacen("<head>", &format!("<head>\n{CHECKER}"), 1);
    assert_ne!(checked, html, "the page has no <head>");
    std::fs::write(&page, checked).expect("write the checked page");
    let profile = dir.path().join("profile");
    let dom_file = dir.path().join("dom.html");
    let log_file = dir.path().join("chromium.log");
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        // Files, not pipes: a page's DOM is larger than a pipe holds until it is read.
        .stdout(Stdio::from(
            std::fs::File::create(&dom_file).expect("create the DOM file"),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(&log_file).expect("create the log file"),
        ))
        .spawn()
        .expect("start chromium");
    let started = Instant::now();
    let status = loop {
        match child.try_wait().expect("wait for chromium") {
            Some(status) => break status,
            None if started.elapsed() > BROWSER_TIMEOUT => {
                let _ = child.kill();
                panic!("chromium did not finish within {BROWSER_TIMEOUT:?}");
            }
            None => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let dom = std::fs::read_to_string(&dom_file).expect("the DOM");
    // The result, not the checker's own source (which names the same words).
    let Some(at) = dom.find("<pre id=\"asslb-check\">ASSLB-CHECK ") else {
        panic!(
            "the checker wrote nothing: the page did not load (status {status}); log:\n{}",
            std::fs::read_to_string(&log_file).unwrap_or_default()
        );
    };
    let line = &dom[at..];
    let number = |key: &str| -> usize {
        let from = line.find(key).expect("a count") + key.len();
        line[from..]
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a number")
    };
    let errors = line
        .split_once(" :")
        .and_then(|(_, rest)| rest.split_once(":END"))
        .map(|(list, _)| list)
        .expect("the errors");
    Rendered {
        images: number("images="),
        broken: number("broken="),
        errors: errors
            .split(" | ")
            .filter(|e| !e.is_empty())
            .map(String::from)
            .collect(),
    }
}

/// Checks the page `path` as text (self-contained, no script, `figures` figures, `title`) and,
/// with a browser, that it loads without an error and every figure renders.
fn check_page(path: &Path, title: &str, figures: usize) {
    let html = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", path.display());
    assert!(html.contains(&format!("<title>{title}</title>")), "{title}");
    assert!(!html.contains("<script"), "{}: a script", path.display());
    let sources: Vec<&str> = html.split("src=\"").skip(1).collect();
    assert_eq!(sources.len(), figures, "{}: figures", path.display());
    for s in &sources {
        assert!(
            s.starts_with("data:image/png;base64,"),
            "{}: an image that is not embedded",
            path.display()
        );
    }
    assert_eq!(html.matches("<figcaption>").count(), figures);
    if let Some(chromium) = browser() {
        let rendered = render(chromium, &html);
        assert_eq!(
            rendered,
            Rendered {
                images: figures,
                broken: 0,
                errors: Vec::new()
            },
            "{}",
            path.display()
        );
    }
}

/// The PNG files in `dir`.
fn pngs(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .expect("listed")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
        .count()
}

#[test]
fn the_checker_tells_a_broken_figure_and_an_error() {
    let Some(chromium) = browser() else { return };
    let page = |body: &str| {
        format!("<!DOCTYPE html>\n<html><head><title>t</title></head><body>{body}</body></html>\n")
    };
    let good = render(
        chromium,
        &page(&format!("<img src=\"{GOOD_PNG}\"><img src=\"{GOOD_PNG}\">")),
    );
    assert_eq!(
        good,
        Rendered {
            images: 2,
            broken: 0,
            errors: Vec::new()
        }
    );
    // A PNG cut short: the browser cannot decode it.
    let broken = render(
        chromium,
        &page(&format!(
            "<img src=\"{GOOD_PNG}\"><img src=\"{}\">",
            &GOOD_PNG[..60]
        )),
    );
    assert_eq!(broken.images, 2, "{broken:?}");
    assert_eq!(broken.broken, 1, "{broken:?}");
    assert!(!broken.errors.is_empty(), "{broken:?}");
    let failing = render(
        chromium,
        &page("<script>throw new Error('boom');</script><p>text</p>"),
    );
    assert_eq!(failing.broken, 0, "{failing:?}");
    assert!(
        failing.errors.iter().any(|e| e.contains("boom")),
        "{failing:?}"
    );
}

#[test]
fn a_run_report_opens_with_every_figure() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let out = dir.path().join("run");
    let result = asslb()
        .arg("run")
        .arg(root().join("scenarios/solid_halfcell_cycling.toml"))
        .arg("--out")
        .arg(&out)
        .args([
            "--set",
            r#"experiment=[{cycles=3, steps=["Discharge at 200 mA/g until 2.0 V vs Li/Li+", "Charge at 200 mA/g until 4.3 V vs Li/Li+"]}]"#,
            "--set",
            r#"save_cycles="all""#,
        ])
        .output()
        .expect("asslb runs");
    assert!(result.status.success(), "{}", describe(&result));
    let stdout = common::text(&result.stdout);
    assert!(stdout.contains("report.html"), "{stdout}");
    let figures = pngs(&out);
    assert!(figures >= 4, "{figures} figures");
    check_page(
        &out.join("report.html"),
        "Run: solid_halfcell_cycling",
        figures,
    );
    let html = std::fs::read_to_string(out.join("report.html")).expect("the page");
    for needed in [
        "Key numbers",
        "discharge capacity",
        "capacity retention at cycle 3",
        "mean coulombic efficiency",
        "solid_halfcell_single_ion",
    ] {
        assert!(html.contains(needed), "{needed}");
    }
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(md.contains("![") && md.contains("## Key numbers"), "{md}");
}

/// Writes a curve validation and fit case into `dir` (the verification half-cell at 1C, its
/// own curves with 2 mV of noise; the fit starts close to the truth) and returns the fit file.
fn write_case(dir: &Path) -> PathBuf {
    let scenario_path = root().join("scenarios/solid_halfcell_discharge_1C.toml");
    let scenario = load_scenario_with(&scenario_path, &[]).expect("scenario");
    let wanted = Wanted {
        curves: vec![1],
        ..Wanted::default()
    };
    let run = simulate("truth", &scenario, &wanted, None).expect("simulation");
    assert!(run.error.is_none(), "{:?}", run.error);
    let curves = synthetic_curves(
        &run,
        &[(1, Direction::Discharge), (1, Direction::Charge)],
        30,
        0.002,
        0,
        &mut GaussianNoise::new(7),
        Provenance {
            source: "synthetic: tests/html_report.rs".into(),
            figure_or_table: "verification half-cell at 1C".into(),
            conditions: "noise sigma = 0.002 V".into(),
            extra: Vec::new(),
        },
    );
    common::write_curve_fit_case(
        dir,
        ("html <check> & co", "html_fit"),
        &scenario_path,
        &[],
        &curves,
        0.004,
        &[
            ("positive.solid_diffusivity_m2_s", 5.5e-16, 1e-17, 1e-13),
            ("electrolyte.separator_conductivity_S_m", 0.32, 0.01, 10.0),
        ],
    )
}

#[test]
fn a_validation_report_opens_with_every_figure() {
    let dir = tempfile::tempdir().expect("temporary folder");
    write_case(dir.path());
    let out = dir.path().join("validation");
    let result = asslb()
        .arg("validate")
        .arg(dir.path().join("validation.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("asslb runs");
    assert!(result.status.success(), "{}", describe(&result));
    let figures = pngs(&out);
    assert!(figures >= 1, "{figures} figures");
    // The validation's name is escaped in the title.
    check_page(
        &out.join("report.html"),
        "Validation: html &lt;check&gt; &amp; co",
        figures,
    );
    let html = std::fs::read_to_string(out.join("report.html")).expect("the page");
    assert!(html.contains("<td class=\"pass\">pass</td>"), "no verdict");
    assert!(html.contains("Comparisons: all within tolerance"));
}

#[test]
fn a_fit_report_opens_with_every_figure() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let fit = write_case(dir.path());
    let out = dir.path().join("fit");
    let result = asslb()
        .arg("fit")
        .arg(&fit)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "2"])
        .output()
        .expect("asslb runs");
    assert!(result.status.success(), "{}", describe(&result));
    let figures = pngs(&out.join("validation"));
    assert!(figures >= 1, "{figures} figures");
    check_page(&out.join("fit_report.html"), "Fit: html_fit", figures);
    let html = std::fs::read_to_string(out.join("fit_report.html")).expect("the page");
    for needed in [
        "Fitted parameters",
        "positive.solid_diffusivity_m2_s",
        "± 1σ",
        "Correlations",
        "+1.000",
        "Comparisons at the fitted values",
    ] {
        assert!(html.contains(needed), "{needed}");
    }
    check_page(
        &out.join("validation/report.html"),
        "Validation: html &lt;check&gt; &amp; co",
        figures,
    );
}
