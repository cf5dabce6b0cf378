//! Where things go on screen: pure functions from queue positions to pixels and SVG paths.

/// Lock nodes per row when the queue's width is not known yet.
pub const DEFAULT_COLUMNS: usize = 4;
pub const CARD_W: f64 = 200.0;
pub const CARD_H: f64 = 160.0;
pub const GAP_X: f64 = 44.0;
pub const GAP_Y: f64 = 72.0;
/// Room above the first row for arrows that bend upwards.
pub const TOP: f64 = 40.0;

/// A point in the queue's coordinate space (px).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// How many cards fit in a row `width` px wide (at least one).
pub fn columns_for(width: f64) -> usize {
    (((width + GAP_X) / (CARD_W + GAP_X)).floor() as usize).max(1)
}

/// Top-left corner of the card at `index` (0 = smallest sequence number).
pub fn slot(index: usize, columns: usize) -> Point {
    let row = index / columns;
    let col = index % columns;
    Point {
        x: col as f64 * (CARD_W + GAP_X),
        y: TOP + row as f64 * (CARD_H + GAP_Y),
    }
}

/// Width and height the queue needs for `count` cards.
pub fn queue_size(count: usize, columns: usize) -> (f64, f64) {
    let rows = count.div_ceil(columns).max(1);
    let width = columns as f64 * (CARD_W + GAP_X) - GAP_X;
    (width, TOP + rows as f64 * (CARD_H + GAP_Y))
}

/// The rows whose cards overlap the band `top..bottom` of the queue (px from its top edge).
pub fn rows_within(top: f64, bottom: f64) -> std::ops::Range<usize> {
    let pitch = CARD_H + GAP_Y;
    // Row r spans TOP + r·pitch .. TOP + r·pitch + CARD_H.
    let first = ((top - TOP - CARD_H) / pitch).floor() + 1.0;
    let end = ((bottom - TOP) / pitch).ceil();
    (first.max(0.0) as usize)..(end.max(0.0) as usize)
}

/// The SVG path of a watch arrow: from the waiter's card at `from` to the watched card at `to`.
/// Neighbours on one row get a straight arrow; a target on a row above is reached through the
/// gap between the rows; anything else on one row bends above the cards.
pub fn arrow_path(from: usize, to: usize, columns: usize) -> String {
    let (a, b) = (slot(from, columns), slot(to, columns));
    let start = Point {
        x: a.x,
        y: a.y + CARD_H / 2.0,
    };
    if from == to + 1 && a.y == b.y {
        let end = Point {
            x: b.x + CARD_W,
            y: b.y + CARD_H / 2.0,
        };
        return format!("M {} {} L {} {}", start.x, start.y, end.x + 4.0, end.y);
    }
    if b.y < a.y {
        let (x1, y1) = (a.x + CARD_W / 2.0, a.y);
        let (x2, y2) = (b.x + CARD_W / 2.0, b.y + CARD_H + 4.0);
        let mid = (y1 + y2) / 2.0;
        return format!("M {x1} {y1} C {x1} {mid} {x2} {mid} {x2} {y2}");
    }
    let start = Point {
        x: a.x + CARD_W / 2.0,
        y: a.y,
    };
    let end = Point {
        x: b.x + CARD_W / 2.0,
        y: b.y - 4.0,
    };
    let lift = 30.0_f64.max((start.y - end.y).abs() / 2.0);
    format!(
        "M {} {} C {} {} {} {} {} {}",
        start.x,
        start.y,
        start.x,
        start.y.min(end.y) - lift,
        end.x,
        start.y.min(end.y) - lift,
        end.x,
        end.y
    )
}

/// The path a watch notification travels to the card at `index`: it drops onto the card from
/// above, where ZooKeeper's notifications come from.
pub fn notification_path(index: usize, columns: usize) -> String {
    let at = slot(index, columns);
    let x = at.x + CARD_W / 2.0;
    format!("M {} {} L {} {}", x, at.y - TOP + 4.0, x, at.y - 4.0)
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

    const C: usize = 5;

    #[test]
    fn slots_fill_rows_left_to_right() {
        assert_eq!(slot(0, C), Point { x: 0.0, y: TOP });
        assert_eq!(slot(1, C).y, TOP);
        assert!(slot(1, C).x > slot(0, C).x);
        assert_eq!(slot(C, C).x, 0.0);
        assert!(slot(C, C).y > slot(C - 1, C).y);
    }

    #[test]
    fn columns_follow_the_width() {
        assert_eq!(columns_for(0.0), 1);
        assert_eq!(columns_for(CARD_W), 1);
        assert_eq!(columns_for(3.0 * CARD_W + 2.0 * GAP_X), 3);
        assert_eq!(columns_for(3.0 * CARD_W + 2.0 * GAP_X - 1.0), 2);
    }

    #[test]
    fn queue_grows_by_rows() {
        assert_eq!(queue_size(0, C), queue_size(1, C));
        assert!(queue_size(C + 1, C).1 > queue_size(C, C).1);
    }

    #[test]
    fn neighbour_arrow_is_straight_and_others_bend() {
        assert!(arrow_path(1, 0, C).contains(" L "));
        assert!(arrow_path(C, C - 1, C).contains(" C "));
        assert!(arrow_path(3, 1, C).contains(" C "));
    }

    #[test]
    fn arrow_to_the_row_above_ends_under_its_target() {
        let target = slot(C - 1, C);
        let path = arrow_path(C, C - 1, C);
        let end = format!("{} {}", target.x + CARD_W / 2.0, target.y + CARD_H + 4.0);
        assert!(path.ends_with(&end), "{path}");
    }

    #[test]
    fn notifications_drop_onto_the_card() {
        let at = slot(C + 2, C);
        let path = notification_path(C + 2, C);
        assert!(
            path.ends_with(&format!("{} {}", at.x + CARD_W / 2.0, at.y - 4.0)),
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
        let pitch = CARD_H + GAP_Y;
        assert_eq!(rows_within(0.0, TOP + 1.0), 0..1);
        assert_eq!(
            rows_within(0.0, TOP),
            0..0,
            "the band ends where row 0 starts"
        );
        // A band inside the gap below row 0 touches no card.
        let gap = TOP + CARD_H;
        assert_eq!(rows_within(gap + 1.0, gap + GAP_Y - 1.0).len(), 0);
        assert_eq!(
            rows_within(TOP + pitch * 3.0 + 5.0, TOP + pitch * 5.0 + 5.0),
            3..6
        );
        assert_eq!(
            rows_within(-500.0, -10.0).len(),
            0,
            "a band above the queue"
        );
    }
}
