//! Line assembly over the blocks the message callback hands out.
