//! Outgoing email: rendering, the transactional outbox and the transports.

pub mod message;
pub mod outbox;
pub mod sent_bodies;
pub mod transport;

pub use message::EmailMessage;
pub use transport::Mailer;
