-- The seeded study-plan answer gave the 2025-2026 dates, wrong from the next year on: its shipped
-- text is replaced, where no one edited it, by one that sends the student to this year's dates.
UPDATE canned_responses SET body_it = 'Gentile {{student_name}},

il piano di studio si compila online nello Sportello Internet, solo nei periodi che il Senato Accademico stabilisce ogni anno: uno per le lauree triennali, le magistrali a ciclo unico e il secondo anno delle magistrali, uno per il primo anno delle lauree magistrali. Le date dell''anno accademico in corso e le modalità di compilazione sono negli avvisi del tuo Dipartimento.

La presentazione oltre le scadenze comporta una sanzione di 50,00 euro.

Cordiali saluti,
{{agent_name}}
Richiesta {{ticket_number}}'
WHERE seed_key = 'study-plan-periods' AND body_it = 'Gentile {{student_name}},

il piano di studio si compila online nello Sportello Internet, solo nei periodi stabiliti dal Senato Accademico: per il 2025-2026 dal 15 ottobre al 17 novembre 2025 (lauree triennali, magistrali a ciclo unico e secondo anno delle magistrali) e dal 29 ottobre al 21 novembre 2025 (primo anno delle lauree magistrali). Le modalità di compilazione sono negli avvisi del tuo Dipartimento.

La presentazione oltre le scadenze comporta una sanzione di 50,00 euro.

Cordiali saluti,
{{agent_name}}
Richiesta {{ticket_number}}';
UPDATE canned_responses SET body_en = 'Dear {{student_name}},

the study plan is filled in online in the Sportello Internet, only in the periods the Academic Senate sets every year: one for bachelor''s, single-cycle master''s and second-year master''s degrees, one for the first year of master''s degrees. This academic year''s dates, and how to fill it in, are in your Department''s notices.

A plan submitted after the deadlines costs a 50.00 euro fee.

Kind regards,
{{agent_name}}
Request {{ticket_number}}'
WHERE seed_key = 'study-plan-periods' AND body_en = 'Dear {{student_name}},

the study plan is filled in online in the Sportello Internet, only in the periods set by the Academic Senate: for 2025-2026 from 15 October to 17 November 2025 (bachelor''s, single-cycle master''s and second year of master''s degrees) and from 29 October to 21 November 2025 (first year of master''s degrees). How to fill it in is explained in your Department''s notices.

A plan submitted after the deadlines costs a 50.00 euro fee.

Kind regards,
{{agent_name}}
Ticket {{ticket_number}}';
