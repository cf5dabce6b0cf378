//! What the classroom bar shows, as pure functions: the three links of a room and whether
//! students' devices can reach them.

/// A classroom's links: the teacher's (with its key), the students', the view-only one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Links {
    pub teacher: Option<String>,
    pub student: String,
    pub viewer: String,
}

/// The links of `room` at `origin` (`http://192.168.1.20:8080`); the teacher's only with its key.
pub fn links(origin: &str, room: &str, key: Option<&str>) -> Links {
    let base = shared::classroom::student_link(origin, room);
    Links {
        teacher: key.map(|key| format!("{base}&key={key}")),
        viewer: format!("{base}&view=1"),
        student: base,
    }
}

/// Whether `origin`'s host is this machine only (`localhost`, `127.0.0.1`, `[::1]`): a link to
/// it opens nothing on a student's phone.
pub fn is_loopback(origin: &str) -> bool {
    let host = origin
        .split("://")
        .nth(1)
        .unwrap_or(origin)
        .split('/')
        .next()
        .unwrap_or_default();
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    host == "localhost" || host.starts_with("127.") || host == "::1"
}

/// The host part of an origin, for the warning that names it.
pub fn host_of(origin: &str) -> &str {
    origin.split("://").nth(1).unwrap_or(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_classroom_has_three_links_and_only_the_teachers_carries_the_key() {
        let links = links("http://192.168.1.20:8080/", "quiet-otter-42", Some("k3y"));
        assert_eq!(
            links.teacher.as_deref(),
            Some("http://192.168.1.20:8080/?room=quiet-otter-42&key=k3y")
        );
        assert_eq!(
            links.student,
            "http://192.168.1.20:8080/?room=quiet-otter-42"
        );
        assert_eq!(
            links.viewer,
            "http://192.168.1.20:8080/?room=quiet-otter-42&view=1"
        );
        assert_eq!(super::links("http://h", "r", None).teacher, None);
    }

    #[test]
    fn loopback_origins_are_told_apart() {
        for origin in [
            "http://localhost:8080",
            "http://127.0.0.1:8080",
            "http://[::1]:8080",
        ] {
            assert!(is_loopback(origin), "{origin}");
        }
        for origin in ["http://192.168.1.20:8080", "http://zkplay.school.example"] {
            assert!(!is_loopback(origin), "{origin}");
        }
        assert_eq!(host_of("http://127.0.0.1:8080"), "127.0.0.1:8080");
    }
}
