//! Parses the command line, runs it, prints the error once and maps it to an exit code.

use clap::Parser;

fn main() {
    let cli = kusto_principals::cli::Cli::parse();
    let code = match kusto_principals::run::run(cli) {
        Ok(code) => code,
        Err(err) if kusto_principals::run::is_broken_pipe(&err) => 0,
        Err(err) => {
            eprintln!("{}", kusto_principals::run::format_error(&err));
            err.exit_code()
        }
    };
    std::process::exit(code);
}
