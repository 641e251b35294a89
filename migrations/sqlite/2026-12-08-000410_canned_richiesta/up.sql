-- The seeded answers in Italian say 'richiesta', as the site and its e-mails do, not 'ticket':
-- each shipped text is replaced where no one edited it.
UPDATE canned_responses SET body_it = 'Gentile {{student_name}},

per completare la pratica della richiesta {{ticket_number}} ci servono ancora alcuni documenti. Puoi allegarli rispondendo dalla pagina della richiesta:
{{ticket_link}}

Finché non riceviamo i documenti la richiesta resta in attesa di una tua risposta.

Cordiali saluti,
{{agent_name}}'
WHERE seed_key = 'documents-missing' AND body_it = 'Gentile {{student_name}},

per completare la pratica del ticket {{ticket_number}} ci servono ancora alcuni documenti. Puoi allegarli rispondendo dalla pagina del ticket:
{{ticket_link}}

Finché non riceviamo i documenti il ticket resta in attesa di una tua risposta.

Cordiali saluti,
{{agent_name}}';
UPDATE canned_responses SET body_it = 'Gentile {{student_name}},

il piano di studio si compila online nello Sportello Internet, solo nei periodi stabiliti dal Senato Accademico: per il 2025-2026 dal 15 ottobre al 17 novembre 2025 (lauree triennali, magistrali a ciclo unico e secondo anno delle magistrali) e dal 29 ottobre al 21 novembre 2025 (primo anno delle lauree magistrali). Le modalità di compilazione sono negli avvisi del tuo Dipartimento.

La presentazione oltre le scadenze comporta una sanzione di 50,00 euro.

Cordiali saluti,
{{agent_name}}
Richiesta {{ticket_number}}'
WHERE seed_key = 'study-plan-periods' AND body_it = 'Gentile {{student_name}},

il piano di studio si compila online nello Sportello Internet, solo nei periodi stabiliti dal Senato Accademico: per il 2025-2026 dal 15 ottobre al 17 novembre 2025 (lauree triennali, magistrali a ciclo unico e secondo anno delle magistrali) e dal 29 ottobre al 21 novembre 2025 (primo anno delle lauree magistrali). Le modalità di compilazione sono negli avvisi del tuo Dipartimento.

La presentazione oltre le scadenze comporta una sanzione di 50,00 euro.

Cordiali saluti,
{{agent_name}}
Ticket {{ticket_number}}';
UPDATE canned_responses SET body_it = 'Gentile {{student_name}},

per inserire insegnamenti in soprannumero devi inviarci, entro la scadenza del piano di studio, un''istanza in carta libera indirizzata al Consiglio di corso di studio con gli insegnamenti (denominazione, codice, numero di CFU) e la motivazione. Il modulo è nella pagina Modulistica (Domanda di inserimento esami - sovrannumerari); puoi allegarlo a questa richiesta:
{{ticket_link}}

Ti invieremo via mail la delibera del Consiglio.

Cordiali saluti,
{{agent_name}}'
WHERE seed_key = 'supernumerary-exams' AND body_it = 'Gentile {{student_name}},

per inserire insegnamenti in soprannumero devi inviarci, entro la scadenza del piano di studio, un''istanza in carta libera indirizzata al Consiglio di corso di studio con gli insegnamenti (denominazione, codice, numero di CFU) e la motivazione. Il modulo è nella pagina Modulistica (Domanda di inserimento esami - sovrannumerari); puoi allegarlo a questo ticket:
{{ticket_link}}

Ti invieremo via mail la delibera del Consiglio.

Cordiali saluti,
{{agent_name}}';
UPDATE canned_responses SET body_it = 'Gentile {{student_name}},

i contributi si pagano online con la piattaforma PagoPA: nello Sportello Internet seleziona "Pagamenti", clicca il numero di Fattura e poi "Paga con PagoPA". Il pagamento risulta nella tua carriera dopo la registrazione da parte della banca.

Cordiali saluti,
{{agent_name}}
Richiesta {{ticket_number}}'
WHERE seed_key = 'pagopa-payment' AND body_it = 'Gentile {{student_name}},

i contributi si pagano online con la piattaforma PagoPA: nello Sportello Internet seleziona "Pagamenti", clicca il numero di Fattura e poi "Paga con PagoPA". Il pagamento risulta nella tua carriera dopo la registrazione da parte della banca.

Cordiali saluti,
{{agent_name}}
Ticket {{ticket_number}}';
UPDATE canned_responses SET body_it = 'Gentile {{student_name}},

per il titolo estero serve la dichiarazione di valore rilasciata dall''Ambasciata o dal Consolato italiano nel Paese in cui hai conseguito il titolo, oppure l''Attestato di Comparabilità del centro ENIC-NARIC italiano (CIMEA) o di un altro centro ENIC-NARIC. Se il titolo è di un Paese firmatario della Convenzione di Lisbona, l''Attestato di Comparabilità CIMEA può essere sostituito dall''Attestato di Corrispondenza (piattaforma ARDI) con l''Attestato di verifica CIMEA. Gli studenti con status di rifugiato possono richiedere gratuitamente la dichiarazione a CIMEA.

Puoi allegare il documento a questa richiesta: {{ticket_link}}

Cordiali saluti,
{{agent_name}}'
WHERE seed_key = 'declaration-of-value' AND body_it = 'Gentile {{student_name}},

per il titolo estero serve la dichiarazione di valore rilasciata dall''Ambasciata o dal Consolato italiano nel Paese in cui hai conseguito il titolo, oppure l''Attestato di Comparabilità del centro ENIC-NARIC italiano (CIMEA) o di un altro centro ENIC-NARIC. Se il titolo è di un Paese firmatario della Convenzione di Lisbona, l''Attestato di Comparabilità CIMEA può essere sostituito dall''Attestato di Corrispondenza (piattaforma ARDI) con l''Attestato di verifica CIMEA. Gli studenti con status di rifugiato possono richiedere gratuitamente la dichiarazione a CIMEA.

Puoi allegare il documento a questo ticket: {{ticket_link}}

Cordiali saluti,
{{agent_name}}';
UPDATE canned_responses SET body_it = 'Gentile {{student_name}},

la password si cambia nello Sportello Internet con il comando "Cambia password". La nuova password vale subito per lo Sportello Internet, ma per gli altri servizi (e-mail, biblioteca, e-learning…) solo dal giorno successivo, perché la base dati si aggiorna di notte. Se l''hai dimenticata usa il servizio di recupero password.

Cordiali saluti,
{{agent_name}}
Richiesta {{ticket_number}}'
WHERE seed_key = 'password-change' AND body_it = 'Gentile {{student_name}},

la password si cambia nello Sportello Internet con il comando "Cambia password". La nuova password vale subito per lo Sportello Internet, ma per gli altri servizi (e-mail, biblioteca, e-learning…) solo dal giorno successivo, perché la base dati si aggiorna di notte. Se l''hai dimenticata usa il servizio di recupero password.

Cordiali saluti,
{{agent_name}}
Ticket {{ticket_number}}';
UPDATE canned_responses SET body_it = 'Gentile {{student_name}},

se ti sei laureato con l''ordinamento precedente al D.M. 509/99 e non hai mai ricevuto le credenziali istituzionali, compila in ogni sua parte il modulo di richiesta, firmalo e allegalo a questa richiesta insieme alla copia fronte e retro di un documento d''identità valido:
{{ticket_link}}

Cordiali saluti,
{{agent_name}}'
WHERE seed_key = 'credentials-old-graduates' AND body_it = 'Gentile {{student_name}},

se ti sei laureato con l''ordinamento precedente al D.M. 509/99 e non hai mai ricevuto le credenziali istituzionali, compila in ogni sua parte il modulo di richiesta, firmalo e allegalo a questo ticket insieme alla copia fronte e retro di un documento d''identità valido:
{{ticket_link}}

Cordiali saluti,
{{agent_name}}';
