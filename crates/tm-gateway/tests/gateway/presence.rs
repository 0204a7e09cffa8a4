//! Presence: people in a room across every gateway.

use tm_core::Role;
use tm_testkit::unique_prefix;

use crate::support::{token, Client, Cms, Gateway, Room};

#[tokio::test]
async fn sockets_on_two_gateways_see_the_rooms_total_and_its_changes() {
    let prefix = unique_prefix();
    let cms = Cms::connect(&prefix).await;
    let (east, west) = (Gateway::spawn(&prefix).await, Gateway::spawn(&prefix).await);
    let room = Room::new("physics");
    let token = token(&room, Role::Participant, 280);
    let mut ada = Client::connect(&east).await;
    ada.join(&token, None).await;
    ada.presence_reaches(1).await;

    let mut bob = Client::connect(&west).await;
    let mut cy = Client::connect(&west).await;
    bob.join(&token, None).await;
    cy.join(&token, None).await;

    ada.presence_reaches(3).await;
    bob.presence_reaches(3).await;
    drop(cy);
    ada.presence_reaches(2).await;
    bob.presence_reaches(2).await;
    east.stop().await;
    west.stop().await;
    cms.clean_up().await;
}
