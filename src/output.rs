//! Writes files into the output folder atomically, and cleans what interrupted runs left.

mod files;
mod temp;
pub use files::{sync_files, write_atomic, write_atomic_unsynced};
pub use temp::{remove_leftovers, remove_leftovers_flat, temp_file_in};
