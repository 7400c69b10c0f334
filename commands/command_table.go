package commands

import (
	"fmt"

	"github.com/guidebot/guidebot/content"
)

// Command is one command, declared once: the parser finds it by its names,
// help is generated from its usage, description and example, and the
// metrics count it under Name.
type Command struct {
	Name    string       // canonical English name; Reply.Command
	FR      string       // the French name, shown first in French help
	Aliases []string     // more names: short forms, spellings with accents
	Args    content.Text // argument usage ("NAME" / "NOM"); empty when none
	Desc    content.Text // one line, lower case, no final period
	Example content.Text // an example line without prefix, in each language
	Admin   bool         // changes the room's settings (help lists it apart)

	run func(c *call) (Reply, bool) // the answer, and whether it is a refusal
}

// NameIn is the command's name in lang.
func (c *Command) NameIn(lang content.Lang) string {
	if lang == content.FR {
		return c.FR
	}
	return c.Name
}

// commandList is every command in help order. It is filled in init because
// help reads it, and help is one of its entries.
var commandList []*Command

// byName maps every folded name and alias to its command.
var byName map[string]*Command

// Commands returns the declared commands in help order.
func Commands() []*Command { return commandList }

func init() {
	tx := func(en, fr string) content.Text { return content.Text{EN: en, FR: fr} }
	commandList = []*Command{
		{Name: "help", FR: "aide", Aliases: []string{"h"},
			Args:    tx("[COMMAND]", "[COMMANDE]"),
			Desc:    tx("the commands, or one command's usage and an example", "les commandes, ou l'usage d'une commande avec un exemple"),
			Example: tx("help compare", "aide comparer"),
			run:     runHelp},
		{Name: "messenger", FR: "messagerie", Aliases: []string{"m", "app"},
			Args:    tx("NAME", "NOM"),
			Desc:    tx("a messenger's card: status, encryption, identifier, platforms, audits, links", "la fiche d'une messagerie : statut, chiffrement, identifiant, plateformes, audits, liens"),
			Example: tx("messenger simplex", "messagerie simplex"),
			run:     runMessenger},
		{Name: "messengers", FR: "messageries", Aliases: []string{"list", "liste", "ls"},
			Desc:    tx("every messenger, grouped by status", "toutes les messageries, par statut"),
			Example: tx("messengers", "messageries"),
			run:     runMessengers},
		{Name: "compare", FR: "comparer", Aliases: []string{"vs", "comparaison"},
			Args:    tx("A B [C…]", "A B [C…]"),
			Desc:    tx("2 to 5 messengers side by side", "2 à 5 messageries côte à côte"),
			Example: tx("compare signal briar", "comparer signal briar"),
			run:     runCompare},
		{Name: "recommend", FR: "recommander", Aliases: []string{"rec", "recommandation"},
			Args:    tx("[NEED…]", "[BESOIN…]"),
			Desc:    tx("the messengers Privacy Guides recommends that meet every need, in its order, and why the others are left out", "les messageries recommandées par Privacy Guides qui répondent à tous les besoins, dans son ordre, et pourquoi les autres sont écartées"),
			Example: tx("recommend no-phone ios", "recommander sans-telephone ios"),
			run:     runRecommend},
		{Name: "networks", FR: "reseaux", Aliases: []string{"network", "reseau"},
			Args:    tx("[TYPE]", "[TYPE]"),
			Desc:    tx("the types of networks, their advantages and disadvantages, and which messengers use each", "les types de réseaux, leurs avantages et inconvénients, et les messageries qui les utilisent"),
			Example: tx("networks federated", "reseaux federe"),
			run:     runNetworks},
		{Name: "criteria", FR: "criteres", Aliases: []string{"criterion", "critere"},
			Desc:    tx("what a messenger must meet to be recommended, the best case, and who meets each", "ce qu'une messagerie doit remplir pour être recommandée, les critères optimaux, et qui remplit chacun"),
			Example: tx("criteria", "criteres"),
			run:     runCriteria},
		{Name: "changes", FR: "nouveautes", Aliases: []string{"news", "changelog"},
			Args:    tx("[N]", "[N]"),
			Desc:    tx(fmt.Sprintf("the latest changes to the recommendations, newest first (default %d)", defaultChanges), fmt.Sprintf("les derniers changements des recommandations, du plus récent au plus ancien (%d par défaut)", defaultChanges)),
			Example: tx("changes 3", "nouveautes 3"),
			run:     runChanges},
		{Name: "about", FR: "apropos", Aliases: []string{"a-propos", "version", "info"},
			Desc:    tx("what this bot is, its sources, content and version", "ce qu'est ce bot, ses sources, son contenu et sa version"),
			Example: tx("about", "apropos"),
			run:     runAbout},
		{Name: "settings", FR: "parametres", Aliases: []string{"reglages", "config"},
			Desc:    tx("this room's settings", "les paramètres de ce salon"),
			Example: tx("settings", "parametres"),
			Admin:   true,
			run:     runSettings},
		{Name: "set", FR: "regler", Aliases: []string{"definir"},
			Args:    tx("KEY VALUE", "CLÉ VALEUR"),
			Desc:    tx("change one of this room's settings", "modifier un paramètre de ce salon"),
			Example: tx("set language fr", "regler langue en"),
			Admin:   true,
			run:     runSet},
		{Name: "subscribe", FR: "abonner", Aliases: []string{"s'abonner", "sub"},
			Desc:    tx("announce changes to the recommendations in this room", "annoncer dans ce salon les changements des recommandations"),
			Example: tx("subscribe", "abonner"),
			Admin:   true,
			run:     runSubscribe},
		{Name: "unsubscribe", FR: "desabonner", Aliases: []string{"se-desabonner", "unsub"},
			Desc:    tx("stop the announcements in this room", "arrêter les annonces dans ce salon"),
			Example: tx("unsubscribe", "desabonner"),
			Admin:   true,
			run:     runUnsubscribe},
	}
	byName = make(map[string]*Command)
	for _, c := range commandList {
		for _, n := range append([]string{c.Name, c.FR}, c.Aliases...) {
			f := content.Fold(n)
			if other := byName[f]; other != nil && other != c {
				panic("commands: name " + n + " declared twice")
			}
			byName[f] = c
		}
	}
}

// lookup returns the command named word (any alias, folded), or nil.
func lookup(word string) *Command { return byName[content.Fold(word)] }

// suggestCommand returns the command whose name is closest to word, if one
// is within a typo or two, for "unknown command — did you mean …?".
func suggestCommand(word string) *Command {
	f := content.Fold(word)
	if len(f) < 3 || len(f) > 32 {
		return nil
	}
	limit := 1
	if len(f) >= 7 {
		limit = 2
	}
	var best *Command
	bestD := limit + 1
	for n, c := range byName {
		if len(n) < 3 {
			continue
		}
		if d := content.Distance(f, n, limit); d < bestD || (d == bestD && best != nil && c.Name < best.Name) {
			best, bestD = c, d
		}
	}
	if bestD > limit {
		return nil
	}
	return best
}
