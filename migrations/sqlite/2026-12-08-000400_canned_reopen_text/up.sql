-- The seeded 'resolved' answer promised reopening within 14 days, while resolved requests
-- close after the auto-close setting: its shipped text is replaced where no one edited it.
UPDATE canned_responses SET body_it = 'Gentile {{student_name}},

la tua richiesta ({{ticket_number}}) è stata gestita e la segniamo come risolta. Se qualcosa non fosse chiaro puoi riaprirla, finché non viene chiusa, rispondendo da qui:
{{ticket_link}}

Cordiali saluti,
{{agent_name}}'
WHERE seed_key = 'resolved' AND body_it = 'Gentile {{student_name}},

la tua richiesta ({{ticket_number}}) è stata gestita e segniamo il ticket come risolto. Se qualcosa non fosse chiaro puoi riaprirlo entro 14 giorni rispondendo da qui:
{{ticket_link}}

Cordiali saluti,
{{agent_name}}';
UPDATE canned_responses SET body_en = 'Dear {{student_name}},

your request ({{ticket_number}}) has been handled and we mark it as resolved. If anything is unclear you can reopen it, until it is closed, by replying here:
{{ticket_link}}

Kind regards,
{{agent_name}}'
WHERE seed_key = 'resolved' AND body_en = 'Dear {{student_name}},

your request ({{ticket_number}}) has been handled and we mark the ticket as resolved. If anything is unclear you can reopen it within 14 days by replying here:
{{ticket_link}}

Kind regards,
{{agent_name}}';
