DROP TABLE ticket_notice_acks;
DROP TABLE category_notices;
