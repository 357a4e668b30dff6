-- A document whose one section is all of its text, with no page or
-- heading, no longer stores it (the store implies it from the text); one
-- of no sections stores a row that says so, at ordinal -1. The documents
-- of no sections an older build stored get that row here; the sections it
-- stored stay, and read as before.
INSERT INTO sections (document_id, ordinal, page, heading, char_start, char_end)
    SELECT d.id, -1, 0, '', 0, 0 FROM documents d
    WHERE NOT EXISTS (SELECT 1 FROM sections s WHERE s.document_id = d.id)
    ORDER BY d.id;
