DROP TABLE kept_messages;
DROP TABLE ticket_privacy;
DROP TABLE category_retention;
