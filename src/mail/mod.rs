//! E-mail: the outbox (rows written in the transaction of the change that causes them), the
//! workers that send them, the templates, and (inbound) replies that land on tickets.

pub mod admin;
pub mod mailer;
pub mod notification;
pub mod outbox;
pub mod reply_token;
pub mod smtp;
pub mod templates;
pub mod worker;
