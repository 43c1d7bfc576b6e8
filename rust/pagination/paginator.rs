//! Page arithmetic, exactly Django's `Paginator`/`Page` (django/core/paginator.py, 5.2): 1-based
//! pages, `orphans` folded into the last page, `allow_empty_first_page`. Pure Rust; the page
//! number arrives already converted (the binding mirrors Django's `validate_number`).

use super::PaginationError;

/// A page number as the client sent it, after `int()`: values outside i64 keep only their sign,
/// which is all the arithmetic needs (they are below 1 or past any last page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageNumber {
    Int(i64),
    Huge { negative: bool },
    /// Not an integer (Django's `PageNotAnInteger`).
    NotInteger,
}

/// One page of a listing: every figure Django's `Paginator` and `Page` give, computed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u64,
    pub page_size: u64,
    pub total_items: u64,
    pub total_pages: u64,
    pub orphans: u64,
    /// Index of the first item of the page (0-based), Django's `bottom`.
    pub offset: u64,
    /// Items on this page (the last page takes the orphans).
    pub limit: u64,
}

impl Page {
    pub fn has_next(&self) -> bool {
        self.number < self.total_pages
    }
    pub fn has_prev(&self) -> bool {
        self.number > 1
    }
    pub fn next_page(&self) -> Option<u64> {
        self.has_next().then_some(self.number + 1)
    }
    pub fn prev_page(&self) -> Option<u64> {
        // Django's previous_page_number validates number - 1, which is >= 1 here and never past
        // the last page.
        self.has_prev().then_some(self.number - 1)
    }
    /// 1-based index of the first item (0 when there are no items), Django's `start_index()`.
    pub fn start_index(&self) -> u64 {
        if self.total_items == 0 {
            0
        } else {
            self.page_size * (self.number - 1) + 1
        }
    }
    /// 1-based index of the last item, Django's `end_index()`.
    pub fn end_index(&self) -> u64 {
        if self.number == self.total_pages {
            self.total_items
        } else {
            self.number * self.page_size
        }
    }
}

/// Django's `num_pages`.
pub fn total_pages(total_items: u64, page_size: u64, orphans: u64, allow_empty_first_page: bool) -> u64 {
    if total_items == 0 && !allow_empty_first_page {
        return 0;
    }
    let hits = total_items.saturating_sub(orphans).max(1);
    hits.div_ceil(page_size.max(1))
}

/// Django's `validate_number`: the page number if it names a page.
fn validate(number: PageNumber, total_pages: u64) -> Result<u64, PaginationError> {
    match number {
        PageNumber::NotInteger => Err(PaginationError::PageNotAnInteger),
        PageNumber::Int(n) if n < 1 => Err(PaginationError::PageLessThanOne),
        PageNumber::Huge { negative: true } => Err(PaginationError::PageLessThanOne),
        PageNumber::Huge { negative: false } => Err(PaginationError::NoResults),
        PageNumber::Int(n) if (n as u64) > total_pages => Err(PaginationError::NoResults),
        PageNumber::Int(n) => Ok(n as u64),
    }
}

/// The page `number` of `total_items` split into pages of `page_size`.
///
/// `clamp` is Django's `get_page`: a number that is not an integer gives the first page, one out
/// of range the last page (which may be empty, as in Django, when there are no pages at all).
pub fn paginate(
    number: PageNumber,
    page_size: u64,
    total_items: u64,
    orphans: u64,
    allow_empty_first_page: bool,
    clamp: bool,
) -> Result<Page, PaginationError> {
    if page_size == 0 {
        return Err(PaginationError::PageSizeTooSmall);
    }
    let pages = total_pages(total_items, page_size, orphans, allow_empty_first_page);
    let number = match validate(number, pages) {
        Ok(n) => n,
        Err(PaginationError::PageNotAnInteger) if clamp => validate(PageNumber::Int(1), pages)?,
        Err(PaginationError::PageLessThanOne | PaginationError::NoResults) if clamp => {
            // Django's get_page asks for num_pages, which is 0 without an empty first page:
            // that raises EmptyPage (less than 1), as here.
            validate(PageNumber::Int(pages.min(i64::MAX as u64) as i64), pages)?
        }
        Err(e) => return Err(e),
    };
    let bottom = (number - 1).saturating_mul(page_size);
    let mut top = bottom.saturating_add(page_size);
    if top.saturating_add(orphans) >= total_items {
        top = total_items;
    }
    Ok(Page {
        number,
        page_size,
        total_items,
        total_pages: pages,
        orphans,
        offset: bottom.min(total_items),
        limit: top.saturating_sub(bottom),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: i64, size: u64, total: u64) -> Page {
        paginate(PageNumber::Int(n), size, total, 0, true, false).unwrap()
    }

    #[test]
    fn plain_pages() {
        let p = page(2, 10, 35);
        assert_eq!((p.offset, p.limit, p.total_pages), (10, 10, 4));
        assert_eq!((p.start_index(), p.end_index()), (11, 20));
        assert_eq!((p.prev_page(), p.next_page()), (Some(1), Some(3)));
        let last = page(4, 10, 35);
        assert_eq!((last.offset, last.limit, last.end_index(), last.next_page()), (30, 5, 35, None));
    }

    #[test]
    fn orphans_join_the_last_page() {
        let p = paginate(PageNumber::Int(2), 10, 23, 3, true, false).unwrap();
        assert_eq!((p.total_pages, p.offset, p.limit, p.end_index()), (2, 10, 13, 23));
        assert_eq!(
            paginate(PageNumber::Int(3), 10, 23, 3, true, false),
            Err(PaginationError::NoResults)
        );
    }

    #[test]
    fn empty_listing() {
        let p = page(1, 10, 0);
        assert_eq!((p.total_pages, p.limit, p.start_index(), p.end_index()), (1, 0, 0, 0));
        assert_eq!(paginate(PageNumber::Int(1), 10, 0, 0, false, false), Err(PaginationError::NoResults));
        // get_page without an empty first page: num_pages is 0, so "less than 1".
        assert_eq!(paginate(PageNumber::Int(5), 10, 0, 0, false, true), Err(PaginationError::PageLessThanOne));
    }

    #[test]
    fn refused_and_clamped_numbers() {
        for (n, e) in [
            (PageNumber::Int(0), PaginationError::PageLessThanOne),
            (PageNumber::Int(-3), PaginationError::PageLessThanOne),
            (PageNumber::Huge { negative: true }, PaginationError::PageLessThanOne),
            (PageNumber::Huge { negative: false }, PaginationError::NoResults),
            (PageNumber::Int(i64::MAX), PaginationError::NoResults),
            (PageNumber::NotInteger, PaginationError::PageNotAnInteger),
        ] {
            assert_eq!(paginate(n, 10, 35, 0, true, false), Err(e));
        }
        assert_eq!(paginate(PageNumber::NotInteger, 10, 35, 0, true, true).unwrap().number, 1);
        assert_eq!(paginate(PageNumber::Huge { negative: false }, 10, 35, 0, true, true).unwrap().number, 4);
        assert_eq!(paginate(PageNumber::Int(-1), 10, 35, 0, true, true).unwrap().number, 4);
        assert_eq!(paginate(PageNumber::Int(1), 0, 35, 0, true, false), Err(PaginationError::PageSizeTooSmall));
    }

    #[test]
    fn extreme_sizes_do_not_overflow() {
        let p = paginate(PageNumber::Int(2), u64::MAX, u64::MAX, u64::MAX, true, false);
        assert_eq!(p, Err(PaginationError::NoResults));
        let p = paginate(PageNumber::Int(1), u64::MAX, u64::MAX, 0, true, false).unwrap();
        assert_eq!((p.limit, p.total_pages), (u64::MAX, 1));
    }
}
