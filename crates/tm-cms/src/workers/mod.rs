//! Background work: the relay (event log → `tm.events`), the bus consumers, the expiry
//! sweeper and the flusher of coalesced vote counts. Each is a loop that selects on its work and the shutdown token.

pub mod consumers;
pub mod relay;
pub mod sweeper;
pub mod updates;
