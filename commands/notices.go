package commands

import "github.com/guidebot/guidebot/content"

// Notices the Matrix runtime sends on its own, outside any command. They
// live here with the other user-facing texts.
var (
	// NoticeUndecryptable answers a message the bot could not decrypt.
	NoticeUndecryptable = content.Text{
		EN: "I could not decrypt a message in this room, so I could not answer it. Sending it again usually works; if not, verify or re-share your keys.",
		FR: "Je n’ai pas pu déchiffrer un message dans ce salon, je n’ai donc pas pu y répondre. Le renvoyer suffit en général ; sinon, vérifiez ou partagez de nouveau vos clés.",
	}
	// NoticeNoEncryption answers an encrypted message when the bot runs
	// without encryption.
	NoticeNoEncryption = content.Text{
		EN: "I cannot read encrypted messages: encryption is turned off for this bot.",
		FR: "Je ne peux pas lire les messages chiffrés : le chiffrement est désactivé pour ce bot.",
	}
	// NoticeSlowDown is sent once to a user over the flood limit.
	NoticeSlowDown = content.Text{
		EN: "Slow down, please: too many commands at once. I will answer again in a few seconds.",
		FR: "Doucement, s’il vous plaît : trop de commandes d’un coup. Je répondrai de nouveau dans quelques secondes.",
	}
)
