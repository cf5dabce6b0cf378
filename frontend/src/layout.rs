//! Where things go on screen: pure functions from queue positions to pixels and SVG paths.

/// A point in the queue's coordinate space (px).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// Lock nodes per row when the queue's width is not known yet.
pub const DEFAULT_COLUMNS: usize = 4;

/// The sizes the queue is drawn with: cards, the gaps between them, the room above.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    pub card_w: f64,
    pub card_h: f64,
    pub gap_x: f64,
    pub gap_y: f64,
    /// Room above the first row for arrows that bend upwards.
    pub top: f64,
}

impl Geometry {
    /// On a laptop's screen.
    pub const NORMAL: Geometry = Geometry {
        card_w: 204.0,
        card_h: 192.0,
        gap_x: 36.0,
        gap_y: 72.0,
        top: 40.0,
    };

    /// On a projector, read from the back of a classroom: large type needs large cards, and
    /// three of them fit a row of the stage at 1920 px.
    pub const PRESENTER: Geometry = Geometry {
        card_w: 340.0,
        card_h: 250.0,
        gap_x: 52.0,
        gap_y: 96.0,
        top: 56.0,
    };

    pub fn of(presenter: bool) -> Geometry {
        if presenter {
            Geometry::PRESENTER
        } else {
            Geometry::NORMAL
        }
    }

    /// How many cards fit in a row `width` px wide (at least one).
    pub fn columns_for(&self, width: f64) -> usize {
        (((width + self.gap_x) / (self.card_w + self.gap_x)).floor() as usize).max(1)
    }

    /// Top-left corner of the card at `index` (0 = smallest sequence number).
    pub fn slot(&self, index: usize, columns: usize) -> Point {
        let row = index / columns;
        let col = index % columns;
        Point {
            x: col as f64 * (self.card_w + self.gap_x),
            y: self.top + row as f64 * (self.card_h + self.gap_y),
        }
    }

    /// Width and height the queue needs for `count` cards.
    pub fn queue_size(&self, count: usize, columns: usize) -> (f64, f64) {
        let rows = count.div_ceil(columns).max(1);
        let width = columns as f64 * (self.card_w + self.gap_x) - self.gap_x;
        (width, self.top + rows as f64 * (self.card_h + self.gap_y))
    }

    /// The rows whose cards overlap the band `top..bottom` of the queue (px from its top edge).
    pub fn rows_within(&self, top: f64, bottom: f64) -> std::ops::Range<usize> {
        let pitch = self.card_h + self.gap_y;
        // Row r spans self.top + r·pitch .. self.top + r·pitch + self.card_h.
        let first = ((top - self.top - self.card_h) / pitch).floor() + 1.0;
        let end = ((bottom - self.top) / pitch).ceil();
        (first.max(0.0) as usize)..(end.max(0.0) as usize)
    }

    /// The SVG path of a watch arrow: from the waiter's card at `from` to the watched card at `to`.
    /// Neighbours on one row get a straight arrow; a target on a row above is reached through the
    /// gap between the rows; anything else on one row bends above the cards.
    pub fn arrow_path(&self, from: usize, to: usize, columns: usize) -> String {
        let (a, b) = (self.slot(from, columns), self.slot(to, columns));
        let start = Point {
            x: a.x,
            y: a.y + self.card_h / 2.0,
        };
        if from == to + 1 && a.y == b.y {
            let end = Point {
                x: b.x + self.card_w,
                y: b.y + self.card_h / 2.0,
            };
            return format!(
                "M {} {} L {} {}",
                Tenths(start.x),
                Tenths(start.y),
                Tenths(end.x + 4.0),
                Tenths(end.y)
            );
        }
        if b.y < a.y {
            let (x1, y1) = (a.x + self.card_w / 2.0, a.y);
            let (x2, y2) = (b.x + self.card_w / 2.0, b.y + self.card_h + 4.0);
            let mid = Tenths((y1 + y2) / 2.0);
            let (x1, y1, x2, y2) = (Tenths(x1), Tenths(y1), Tenths(x2), Tenths(y2));
            return format!("M {x1} {y1} C {x1} {mid} {x2} {mid} {x2} {y2}");
        }
        let start = Point {
            x: a.x + self.card_w / 2.0,
            y: a.y,
        };
        let end = Point {
            x: b.x + self.card_w / 2.0,
            y: b.y - 4.0,
        };
        let lift = 30.0_f64.max((start.y - end.y).abs() / 2.0);
        let top = Tenths(start.y.min(end.y) - lift);
        let (x1, y1, x2, y2) = (
            Tenths(start.x),
            Tenths(start.y),
            Tenths(end.x),
            Tenths(end.y),
        );
        format!("M {x1} {y1} C {x1} {top} {x2} {top} {x2} {y2}")
    }

    /// The path a watch notification travels to the card at `index`: it drops onto the card from
    /// above, where ZooKeeper's notifications come from.
    pub fn notification_path(&self, index: usize, columns: usize) -> String {
        let at = self.slot(index, columns);
        let x = at.x + self.card_w / 2.0;
        format!(
            "M {} {} L {} {}",
            Tenths(x),
            Tenths(at.y - self.top + 4.0),
            Tenths(x),
            Tenths(at.y - 4.0)
        )
    }
}

/// A number to the tenth (`12.5`, `-3.0`), written with integer formatting only: `f64`'s
/// formatter is about 25 KB of the page's wasm, and a tenth of a pixel or second is enough.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tenths(pub f64);

impl std::fmt::Display for Tenths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenths = (self.0 * 10.0).round() as i64;
        let sign = if tenths < 0 { "-" } else { "" };
        let abs = tenths.unsigned_abs();
        write!(f, "{sign}{}.{}", abs / 10, abs % 10)
    }
}

/// `12:34:56.789` in the given offset from UTC (minutes east).
pub fn clock(at_ms: u64, offset_minutes: i64) -> String {
    let local = at_ms as i64 + offset_minutes * 60_000;
    let ms = local.rem_euclid(86_400_000);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const G: Geometry = Geometry::NORMAL;

    const C: usize = 5;

    #[test]
    fn slots_fill_rows_left_to_right() {
        assert_eq!(G.slot(0, C), Point { x: 0.0, y: G.top });
        assert_eq!(G.slot(1, C).y, G.top);
        assert!(G.slot(1, C).x > G.slot(0, C).x);
        assert_eq!(G.slot(C, C).x, 0.0);
        assert!(G.slot(C, C).y > G.slot(C - 1, C).y);
    }

    #[test]
    fn columns_follow_the_width() {
        assert_eq!(G.columns_for(0.0), 1);
        assert_eq!(G.columns_for(G.card_w), 1);
        assert_eq!(G.columns_for(3.0 * G.card_w + 2.0 * G.gap_x), 3);
        assert_eq!(G.columns_for(3.0 * G.card_w + 2.0 * G.gap_x - 1.0), 2);
    }

    #[test]
    fn queue_grows_by_rows() {
        assert_eq!(G.queue_size(0, C), G.queue_size(1, C));
        assert!(G.queue_size(C + 1, C).1 > G.queue_size(C, C).1);
    }

    #[test]
    fn neighbour_arrow_is_straight_and_others_bend() {
        assert!(G.arrow_path(1, 0, C).contains(" L "));
        assert!(G.arrow_path(C, C - 1, C).contains(" C "));
        assert!(G.arrow_path(3, 1, C).contains(" C "));
    }

    #[test]
    fn arrow_to_the_row_above_ends_under_its_target() {
        let target = G.slot(C - 1, C);
        let path = G.arrow_path(C, C - 1, C);
        let end = format!(
            "{} {}",
            Tenths(target.x + G.card_w / 2.0),
            Tenths(target.y + G.card_h + 4.0)
        );
        assert!(path.ends_with(&end), "{path}");
    }

    #[test]
    fn notifications_drop_onto_the_card() {
        let at = G.slot(C + 2, C);
        let path = G.notification_path(C + 2, C);
        assert!(
            path.ends_with(&format!(
                "{} {}",
                Tenths(at.x + G.card_w / 2.0),
                Tenths(at.y - 4.0)
            )),
            "{path}"
        );
    }

    #[test]
    fn clock_formats_local_time() {
        assert_eq!(clock(0, 0), "00:00:00.000");
        assert_eq!(clock(3_723_004, 60), "02:02:03.004");
        assert_eq!(clock(0, -30), "23:30:00.000");
    }

    #[test]
    fn rows_within_a_band_are_those_it_overlaps() {
        let pitch = G.card_h + G.gap_y;
        assert_eq!(G.rows_within(0.0, G.top + 1.0), 0..1);
        assert_eq!(
            G.rows_within(0.0, G.top),
            0..0,
            "the band ends where row 0 starts"
        );
        // A band inside the gap below row 0 touches no card.
        let gap = G.top + G.card_h;
        assert_eq!(G.rows_within(gap + 1.0, gap + G.gap_y - 1.0).len(), 0);
        assert_eq!(
            G.rows_within(G.top + pitch * 3.0 + 5.0, G.top + pitch * 5.0 + 5.0),
            3..6
        );
        assert_eq!(
            G.rows_within(-500.0, -10.0).len(),
            0,
            "a band above the queue"
        );
    }

    #[test]
    fn tenths_round_to_one_decimal() {
        let shown = |x: f64| Tenths(x).to_string();
        assert_eq!(shown(12.0), "12.0");
        assert_eq!(shown(4.96), "5.0");
        assert_eq!(shown(0.04), "0.0");
        assert_eq!(shown(-0.04), "0.0");
        assert_eq!(shown(-3.25), "-3.3");
        assert_eq!(shown(1234.56), "1234.6");
    }
}
