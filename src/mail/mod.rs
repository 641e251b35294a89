//! E-mail. This part is the outbox: notifications are rows written in the same
//! transaction as the change that causes them; sending workers come with the mail issue.

pub mod outbox;
