//! `tenantry sandbox human`: the sandbox's person, who performs open work orders (optionally
//! wrongly) and confirms them through the same path as `tenantry confirm`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::CliError;
use super::manual::{record, state_file};
use tenantry::portal::manual::{ManualState, OrderState};

/// Arguments of `tenantry sandbox human`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory of the state (the same as plan and apply's).
    #[arg(long, value_name = "DIR", default_value = ".tenantry")]
    state_dir: PathBuf,
    /// Who confirms.
    #[arg(long, value_name = "NAME", default_value = "sandbox-human")]
    by: String,
    /// Make this mistake instead of performing the orders correctly.
    #[arg(long, value_enum)]
    mistake: Option<Mistake>,
    /// Seed of generated values (customer codes).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// The mistakes the sandbox human can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mistake {
    /// Leave out one value the order reads back.
    MissingValue,
    /// Confirm an order id that was never issued.
    UnknownId,
    /// Confirm an order that a newer one replaced (the plan changed since).
    Stale,
}

/// Performs and confirms; exit 1 when any confirmation was refused.
pub fn run(args: Args) -> Result<u8, CliError> {
    let state = ManualState::load(&state_file(&args.state_dir))?;
    let mut todo: Vec<(String, BTreeMap<String, String>)> = Vec::new();
    let orders: Vec<_> = match args.mistake {
        Some(Mistake::Stale) => state
            .orders
            .iter()
            .filter(|o| matches!(o.state, OrderState::Superseded { .. }))
            .collect(),
        _ => state.open().collect(),
    };
    for stored in orders {
        let order = &stored.order;
        let parent = order
            .parent_id
            .as_deref()
            .and_then(|p| state.record(p))
            .map(|r| &r.object.spec);
        let kind_path = format!("{}/{}", order.portal_id, order.kind);
        let mut values = BTreeMap::new();
        for r in &order.read_back {
            if let Some(v) = tenantry::sandbox::human::read_back(
                &kind_path,
                &r.key,
                &stored.spec,
                parent,
                args.seed,
            ) {
                values.insert(r.key.clone(), v);
            }
        }
        let mut id = order.id.clone();
        match args.mistake {
            // Nothing to leave out on an order that reads nothing back: skip it.
            Some(Mistake::MissingValue) if values.pop_first().is_none() => continue,
            Some(Mistake::UnknownId) => id = format!("WO-{}", "0".repeat(10)),
            _ => {}
        }
        todo.push((id, values));
    }
    if todo.is_empty() {
        println!("The sandbox human found nothing to do.");
        return Ok(super::exit::OK);
    }
    let mut refused = 0;
    for (id, values) in todo {
        match record(&args.state_dir, &id, &values, &args.by) {
            Ok(stored) => println!(
                "performed {} ({} {}/{} {}){}",
                stored.order.id,
                stored.order.action.as_str(),
                stored.order.portal_id,
                stored.order.kind,
                stored.order.external_ref,
                shown(&values)
            ),
            Err(err) => {
                refused += 1;
                eprintln!("{}", err.render());
            }
        }
    }
    Ok(if refused > 0 {
        super::exit::ERROR
    } else {
        super::exit::OK
    })
}

fn shown(values: &BTreeMap<String, String>) -> String {
    if values.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(": {}", pairs.join(", "))
}
