//! Speaker colours: each participant's nickname is shown in one colour of a fixed palette, the
//! same id always in the same colour.
//!
//! Every entry is a pair: the light-mode colour (the one stored with each message and given by
//! the API as `color`) and its variant for dark backgrounds (dark mode and the projector). Both
//! reach WCAG AA contrast (4.5:1) against every background a nickname is shown on, and the dark
//! variant reaches 7:1 on the projector's black. tm.css has one class per entry
//! (`.c-<light hex>`) that carries both colours; the tests below hold the palette, the
//! stylesheet and the contrast ratios together.

use sha2::{Digest, Sha256};

/// One palette entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpeakerColor {
    /// `#rrggbb` on the light page: the colour the API returns.
    pub light: &'static str,
    /// `#rrggbb` on dark backgrounds.
    pub dark: &'static str,
}

/// The palette. Its order decides who gets which colour: append, never reorder.
pub const PALETTE: [SpeakerColor; 12] = [
    SpeakerColor {
        light: "#bf3043",
        dark: "#e18692",
    },
    SpeakerColor {
        light: "#007283",
        dark: "#00b0cb",
    },
    SpeakerColor {
        light: "#8e5d0e",
        dark: "#edae49",
    },
    SpeakerColor {
        light: "#30638e",
        dark: "#73a5d0",
    },
    SpeakerColor {
        light: "#6a4c93",
        dark: "#ac97c9",
    },
    SpeakerColor {
        light: "#1f7369",
        dark: "#2fb2a2",
    },
    SpeakerColor {
        light: "#bb3a1a",
        dark: "#eb846b",
    },
    SpeakerColor {
        light: "#4f7043",
        dark: "#8ab17d",
    },
    SpeakerColor {
        light: "#b5179e",
        dark: "#ed72db",
    },
    SpeakerColor {
        light: "#005bed",
        dark: "#64a0ff",
    },
    SpeakerColor {
        light: "#7d6158",
        dark: "#b39b92",
    },
    SpeakerColor {
        light: "#cc123e",
        dark: "#f37a97",
    },
];

/// The speaker colour (light-mode `#rrggbb`) of a participant.
pub fn speaker_color(participant_id: &str) -> &'static str {
    let digest = Sha256::digest(participant_id.as_bytes());
    PALETTE[usize::from(digest[0]) % PALETTE.len()].light
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The backgrounds a nickname is shown on in light mode (tm.css): the page, a card (pinned
    /// message, poll), and a message waiting for approval (`--warn` at 10% over the page).
    const LIGHT_BACKGROUNDS: [&str; 3] = ["#fbfaf7", "#ffffff", "#f1eade"];
    /// The same in dark mode.
    const DARK_BACKGROUNDS: [&str; 3] = ["#16181a", "#1e2124", "#2a261c"];
    /// The projector's page and cards.
    const PROJECTOR_BACKGROUNDS: [&str; 2] = ["#000000", "#111111"];
    /// The palette before contrast was checked: rows of old messages are mapped to the entry of
    /// the same index by the migration `2026-12-13-000000_accessible_speaker_colors`.
    const BEFORE_CONTRAST: [&str; 12] = [
        "#d1495b", "#00798c", "#edae49", "#30638e", "#6a4c93", "#2a9d8f", "#e76f51", "#8ab17d", "#b5179e", "#3a86ff",
        "#8d6e63", "#ef476f",
    ];

    fn channel(hex: &str, at: usize) -> f64 {
        let value = f64::from(u8::from_str_radix(&hex[at..at + 2], 16).expect("hex colour"));
        let c = value / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    }

    /// WCAG 2 relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        assert!(hex.len() == 7 && hex.starts_with('#'), "{hex}");
        0.2126 * channel(hex, 1) + 0.7152 * channel(hex, 3) + 0.0722 * channel(hex, 5)
    }

    /// WCAG 2 contrast ratio of two colours (1 to 21).
    fn contrast(a: &str, b: &str) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn the_contrast_formula_matches_known_ratios() {
        assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
        assert!((contrast("#777777", "#ffffff") - 4.48).abs() < 0.01);
        // The example: the old yellow on the light page.
        assert!((contrast("#edae49", "#fbfaf7") - 1.9).abs() < 0.05);
    }

    #[test]
    fn every_colour_reaches_aa_on_every_background_it_is_shown_on() {
        let mut failures = vec![];
        for color in PALETTE {
            for bg in LIGHT_BACKGROUNDS {
                let ratio = contrast(color.light, bg);
                if ratio < 4.5 {
                    failures.push(format!("{} on {bg}: {ratio:.2}", color.light));
                }
            }
            for bg in DARK_BACKGROUNDS {
                let ratio = contrast(color.dark, bg);
                if ratio < 4.5 {
                    failures.push(format!("{} on {bg}: {ratio:.2}", color.dark));
                }
            }
            for bg in PROJECTOR_BACKGROUNDS {
                let ratio = contrast(color.dark, bg);
                if ratio < 7.0 {
                    failures.push(format!(
                        "{} on the projector's {bg}: {ratio:.2} (AAA wants 7)",
                        color.dark
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn the_colours_stay_distinct() {
        let light: std::collections::HashSet<_> = PALETTE.iter().map(|c| c.light).collect();
        let dark: std::collections::HashSet<_> = PALETTE.iter().map(|c| c.dark).collect();
        assert_eq!((light.len(), dark.len()), (PALETTE.len(), PALETTE.len()));
    }

    #[test]
    fn the_stylesheet_has_both_colours_of_every_entry_and_the_backgrounds_tested_here() {
        let css = include_str!("../../static/tm.css");
        for color in PALETTE {
            let class = format!(
                ".c-{} {{ --speaker: {}; --speaker-dark: {}; }}",
                &color.light[1..],
                color.light,
                color.dark
            );
            assert!(css.contains(&class), "tm.css lacks `{class}`");
        }
        for declaration in [
            format!("--bg: {}", LIGHT_BACKGROUNDS[0]),
            format!("--card: {}", LIGHT_BACKGROUNDS[1]),
            format!("--bg: {}", DARK_BACKGROUNDS[0]),
            format!("--card: {}", DARK_BACKGROUNDS[1]),
            format!("--bg: {}", PROJECTOR_BACKGROUNDS[0]),
            format!("--card: {}", PROJECTOR_BACKGROUNDS[1]),
        ] {
            assert!(css.contains(&declaration), "tm.css lacks `{declaration}`");
        }
    }

    #[test]
    fn the_migration_maps_each_old_colour_to_the_entry_of_the_same_index() {
        let up = include_str!("../../../../migrations/2026-12-13-000000_accessible_speaker_colors/up.sql");
        let down = include_str!("../../../../migrations/2026-12-13-000000_accessible_speaker_colors/down.sql");
        for (old, new) in BEFORE_CONTRAST.iter().zip(PALETTE) {
            if *old == new.light {
                assert!(
                    !up.contains(&format!("WHEN '{old}'")),
                    "{old} was already accessible and stays"
                );
                continue;
            }
            assert!(up.contains(&format!("WHEN '{old}' THEN '{}'", new.light)), "up: {old}");
            assert!(
                down.contains(&format!("WHEN '{}' THEN '{old}'", new.light)),
                "down: {old}"
            );
        }
    }

    #[test]
    fn colours_are_stable_per_participant() {
        assert_eq!(speaker_color("p-1"), speaker_color("p-1"));
        let distinct: std::collections::HashSet<_> = (0..50).map(|i| speaker_color(&format!("p-{i}"))).collect();
        assert!(distinct.len() > 4);
        assert!(PALETTE.iter().any(|c| c.light == speaker_color("p-1")));
    }
}
