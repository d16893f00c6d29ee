-- "session" named four things; the page id (one browser page load) is now called a page.
-- Column names only: the values and their encoding stay as they are.
ALTER TABLE board_ops RENAME COLUMN session TO page;
ALTER TABLE board_snapshots RENAME COLUMN sessions TO pages;
