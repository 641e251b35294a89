INSERT INTO ticket_search (ticket_id, document) SELECT ticket_id, document FROM ticket_search_newest;
DROP TABLE ticket_search_newest_edge;
DROP TABLE ticket_search_newest;
