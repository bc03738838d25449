pub mod population;
mod names;
