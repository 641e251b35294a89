ALTER INDEX ticket_search_document RESET (fastupdate);
