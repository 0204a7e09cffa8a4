//! Background work: the relay (event log → `tm.events`), the bus consumers and the expiry
//! sweeper. Each is a loop that selects on its work and the shutdown token.

pub mod consumers;
pub mod relay;
pub mod sweeper;
