//! `nebula sensors` on the machine the tests run on, and `auto` selection with default options.

use nebula::energy::auto::{select, Choice, EnergyOptions};
use nebula::energy::sensors::survey;
use nebula::energy::window::{kernel_energy, KernelEnergy, Meter};
use nebula::energy::Quality;
use std::path::Path;

fn machine_has_rapl() -> bool {
    Path::new("/sys/class/powercap/intel-rapl:0").exists()
        || Path::new("/sys/bus/event_source/devices/power").exists()
}

#[test]
fn survey_of_this_machine_is_plain_about_rapl() {
    let report = survey(&EnergyOptions::default());
    let text = report.to_string();
    eprintln!("{text}");
    assert_eq!(report.sources.len(), 3);
    assert!(report.sources.iter().any(|s| s.name == "model" && s.available));
    if !machine_has_rapl() && std::env::var_os("NEBULA_POWERCAP_ROOT").is_none() {
        assert!(!report.rapl_present);
        assert_eq!(report.auto_picks, "model");
        assert!(text.contains("No RAPL present"), "{text}");
        assert!(
            text.contains("ESTIMATES from the model with coefficients"),
            "{text}"
        );
        for s in &report.sources[..2] {
            assert!(!s.available);
            assert!(s.reason.is_some() && s.fix.is_some(), "{s:?}");
        }
    }
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"auto_picks\""));
}

#[test]
fn auto_always_gives_a_usable_source() {
    let sel = select(&EnergyOptions::default()).unwrap();
    let info = sel.source.info();
    if !machine_has_rapl() {
        assert_eq!(info.name, "model");
        assert_eq!(info.quality, Quality::Estimated);
        assert_eq!(sel.rejected.len(), 2);
    }
    let meter = Meter::new(sel.source.clone()).unwrap();
    let a = meter.open().unwrap();
    let b = meter.source.read().unwrap();
    let k = kernel_energy(meter.source.as_ref(), &a, &b);
    if info.quality == Quality::Estimated {
        assert!(matches!(k, KernelEnergy::Resolved(_)));
    }
}

#[test]
fn explicit_model_choice_is_labelled_an_estimate() {
    let opts = EnergyOptions {
        choice: Choice::Model,
        ..EnergyOptions::default()
    };
    let sel = select(&opts).unwrap();
    assert_eq!(sel.source.info().quality, Quality::Estimated);
    assert!(sel.why.contains("ESTIMATES"), "{}", sel.why);
}
