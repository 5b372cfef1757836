//! `tenantry plan`: what apply would change, without changing anything.

use std::io::{IsTerminal, Write};

use super::session::{self, InputArgs};
use super::{CliError, exit};
use tenantry::plan::render::{Format, render};

/// Arguments of `tenantry plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    input: InputArgs,
    /// Output format: text (Terraform style), json (docs/plan-json.md) or markdown (for a
    /// pull-request comment).
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// No colours, even on a terminal.
    #[arg(long)]
    no_color: bool,
    #[command(flatten)]
    notify: super::notify::NotifyArgs,
}

/// Output formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Terraform-style text.
    Text,
    /// The versioned JSON of docs/plan-json.md.
    Json,
    /// Markdown, collapsible per customer.
    Markdown,
}

impl From<Output> for Format {
    fn from(o: Output) -> Self {
        match o {
            Output::Text => Format::Text,
            Output::Json => Format::Json,
            Output::Markdown => Format::Markdown,
        }
    }
}

/// Prints the plan; exit 0 without changes, 2 with changes, 1 on error.
pub fn run(args: Args) -> Result<u8, CliError> {
    let runtime = super::runtime()?;
    let session = runtime.block_on(session::open(&args.input))?;
    let color = args.output == Output::Text && !args.no_color && std::io::stdout().is_terminal();
    let mut out = std::io::stdout().lock();
    if let Some(notice) = session.target.embedded_notice() {
        // Machine output stays one document: the notice goes to standard error there.
        match args.output {
            Output::Text => writeln!(out, "{notice}").map_err(CliError::Stdout)?,
            Output::Json | Output::Markdown => eprintln!("{notice}"),
        }
    }
    let orders = session.work_orders();
    let mut text = render(&session.plan, args.output.into(), color);
    match args.output {
        Output::Text => text.push_str(&session::work_orders_text(&orders)),
        Output::Markdown if !orders.is_empty() => {
            let all: Vec<&_> = orders.iter().collect();
            text.push('\n');
            text.push_str(&tenantry::portal::manual::markdown_all(&all));
        }
        Output::Markdown => {}
        // One document: the orders join it under `workOrders` (docs/plan-json.md).
        Output::Json => {
            if let Ok(serde_json::Value::Object(mut doc)) =
                serde_json::from_str::<serde_json::Value>(&text)
            {
                doc.insert(
                    "workOrders".to_owned(),
                    serde_json::to_value(&orders).unwrap_or_default(),
                );
                text = serde_json::to_string_pretty(&doc).unwrap_or(text);
                text.push('\n');
            }
        }
    }
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CliError::Stdout)?;
    if args.notify.notify.is_some() {
        let sinks = super::notify::sinks(&session.notify)?;
        let events = tenantry::notify::events_of_plan(&session.plan);
        runtime.block_on(super::notify::notify(
            args.notify.notify,
            &sinks,
            &args.input.state_dir,
            &events,
        ))?;
    }
    Ok(if session.plan.has_changes() {
        exit::CHANGES
    } else {
        exit::OK
    })
}
