package commands

import (
	"strings"

	"github.com/guidebot/guidebot/content"
)

// key names one user-interface string. Every string the bot writes that is
// not content lives in catalog, in English and French.
type key int

const (
	kYes key = iota
	kPartial
	kUnknown
	kNo
	kNA
	kStRecommended
	kStAdditional
	kStNotRecommended
	kStNotListed
	kHdRecommended
	kHdAdditional
	kHdNotRecommended
	kHdNotListed
	kCellNotListed
	kNotListedWhy
	kIdPhone
	kIdUsername
	kIdRandom
	kIdNone

	// card and comparison fields
	kStatus
	kHistory
	kSince
	kAtLeastSince
	kRemoved
	kNetwork
	kOwnDesign
	kDecentralized
	kProtocol
	kE2EE
	kOneToOne
	kGroups
	kCalls
	kRowE2EE1
	kRowE2EEGroups
	kRowE2EECalls
	kForwardSecrecy
	kFutureSecrecy
	kOpenSourceServer
	kTor
	kOffline
	kIdentifier
	kPlatforms
	kApp
	kAudits
	kNoAudit
	kNoCodeAudit
	kKindAnalysis
	kKindFindings
	kCaveats
	kLinks
	kHomepage
	kPrivacyPolicy
	kSourceCode
	kDocs
	kReviewed
	kSource
	kDetails
	kNameArg
	kNoMessengers
	kMinimum
	kBestCase

	// recommend
	kGeneral
	kFor
	kNoneFits
	kMeets
	kLeftOut
	kAllNeedsMet
	kNarrowDown
	kNeeds
	kNeedsAre
	kUnknownNeed

	// networks and criteria
	kUsedBy
	kNobody
	kAdvantages
	kDisadvantages
	kOneNetwork
	kUnknownNetwork
	kNetworksAre
	kTypes
	kMetBy
	kPartlyMetBy
	kNotMetBy
	kUnknownFor
	kCriteriaSince
	kCompareHint
	kNothingYet

	// changes and announcements
	kLatestChanges
	kAnnounceOne
	kAnnounceMany
	kAnnounceStop
	kChangesCount

	// about
	kAboutWhat
	kContentVersion
	kContentReviewed
	kSources
	kEachFactSource
	kSourceCodeLabel
	kBotVersion
	kAboutHelp

	// help
	kHelpTitle
	kHelpAdmin
	kHelpAddress
	kHelpMore
	kCommandArg
	kAlso
	kExample
	kUsage
	kKnownMessengers
	kUnknownCommand
	kCommandsAre
	kDidYouMean
	kQuestionMark
	kHint
	kHintOr
	kNeedName
	kUnknownMessenger
	kCompareCount
	kLineTooLong
	kTooManyArgs
	kArgTooLong

	// settings
	kSettingsTitle
	kSettingsList
	kSettingsAre
	kValues
	kDefault
	kChangeOne
	kNeedsPower
	kNeedPower
	kCannotCheck
	kCannotSave
	kUnknownSetting
	kBadValue
	kAlready
	kSettingDone
	kPrefixNow
	kSubscribed
	kUnsubscribed

	nKeys
)

// catalog holds the strings. {1}, {2}, … are filled in by trf.
var catalog = [nKeys]content.Text{
	kYes:              {EN: "yes", FR: "oui"},
	kPartial:          {EN: "partial", FR: "en partie"},
	kUnknown:          {EN: "unknown", FR: "inconnu"},
	kNo:               {EN: "no", FR: "non"},
	kNA:               {EN: "n/a", FR: "sans objet"},
	kStRecommended:    {EN: "recommended", FR: "recommandée"},
	kStAdditional:     {EN: "additional option", FR: "option supplémentaire"},
	kStNotRecommended: {EN: "no longer recommended", FR: "retirée des recommandations"},
	kHdRecommended:    {EN: "Recommended", FR: "Recommandées"},
	kHdAdditional:     {EN: "Additional options", FR: "Autres options"},
	kHdNotRecommended: {EN: "No longer recommended", FR: "Ne sont plus recommandées"},
	kStNotListed:      {EN: "not on Privacy Guides' list", FR: "absente de la liste de Privacy Guides"},
	kHdNotListed:      {EN: "Not on Privacy Guides' list", FR: "Absentes de la liste de Privacy Guides"},
	kCellNotListed:    {EN: "not on the list", FR: "absente de la liste"},
	kNotListedWhy:     {EN: "Privacy Guides does not recommend it; it is judged here by the same criteria as the ones it does", FR: "Privacy Guides ne la recommande pas\u00a0; elle est jugée ici selon les mêmes critères que celles qu'il recommande"},
	kIdPhone:          {EN: "phone number", FR: "numéro de téléphone"},
	kIdUsername:       {EN: "username", FR: "nom d'utilisateur"},
	kIdRandom:         {EN: "random ID", FR: "identifiant aléatoire"},
	kIdNone:           {EN: "none", FR: "aucun"},
	kStatus:           {EN: "Status", FR: "Statut"},
	kHistory:          {EN: "History", FR: "Historique"},
	kAtLeastSince:     {EN: "at least since", FR: "au moins depuis le"},
	kSince:            {EN: "since", FR: "depuis le"},
	kRemoved:          {EN: "removed", FR: "retirée le"},
	kNetwork:          {EN: "Network", FR: "Réseau"},
	kOwnDesign:        {EN: "A design of its own", FR: "Une architecture qui lui est propre"},
	kDecentralized:    {EN: "Decentralized", FR: "Décentralisé"},
	kProtocol:         {EN: "Protocol", FR: "Protocole"},
	kE2EE:             {EN: "End-to-end encrypted by default", FR: "Chiffrement de bout en bout par défaut"},
	kOneToOne:         {EN: "1:1 chats", FR: "discussions à deux"},
	kGroups:           {EN: "groups", FR: "groupes"},
	kCalls:            {EN: "calls", FR: "appels"},
	kRowE2EE1:         {EN: "E2EE 1:1", FR: "E2EE à deux"},
	kRowE2EEGroups:    {EN: "E2EE groups", FR: "E2EE groupes"},
	kRowE2EECalls:     {EN: "E2EE calls", FR: "E2EE appels"},
	kForwardSecrecy:   {EN: "Forward secrecy", FR: "Confidentialité persistante"},
	kFutureSecrecy:    {EN: "Future secrecy", FR: "Confidentialité future"},
	kOpenSourceServer: {EN: "Open-source server", FR: "Serveur open source"},
	kTor:              {EN: "Tor", FR: "Tor"},
	kOffline:          {EN: "Works without internet", FR: "Fonctionne sans internet"},
	kIdentifier:       {EN: "Identifier", FR: "Identifiant"},
	kPlatforms:        {EN: "Platforms", FR: "Plateformes"},
	kApp:              {EN: "{1} app", FR: "Application {1}"},
	kAudits:           {EN: "Audits", FR: "Audits"},
	kNoAudit:          {EN: "none published", FR: "aucun publié"},
	kNoCodeAudit:      {EN: "none", FR: "aucun"},
	kKindAnalysis:     {EN: "analysis", FR: "analyse"},
	kKindFindings:     {EN: "findings", FR: "travaux"},
	kCaveats:          {EN: "Caveats", FR: "Points d'attention"},
	kLinks:            {EN: "Links", FR: "Liens"},
	kHomepage:         {EN: "website", FR: "site web"},
	kPrivacyPolicy:    {EN: "privacy policy", FR: "politique de confidentialité"},
	kSourceCode:       {EN: "source code", FR: "code source"},
	kDocs:             {EN: "documentation", FR: "documentation"},
	kReviewed:         {EN: "Last reviewed", FR: "Dernière vérification"},
	kSource:           {EN: "source", FR: "source"},
	kDetails:          {EN: "Details", FR: "Détails"},
	kNameArg:          {EN: "NAME", FR: "NOM"},
	kNoMessengers:     {EN: "No messengers yet.", FR: "Aucune messagerie pour l'instant."},
	kMinimum:          {EN: "Minimum requirements", FR: "Exigences minimales"},
	kBestCase:         {EN: "Best case", FR: "Critères optimaux"},
	kGeneral:          {EN: "What Privacy Guides recommends, in its order", FR: "Ce que recommande Privacy Guides, dans son ordre"},
	kFor:              {EN: "Your needs", FR: "Vos besoins"},
	kNoneFits:         {EN: "No recommended messenger meets all of these needs.", FR: "Aucune messagerie recommandée ne répond à tous ces besoins."},
	kMeets:            {EN: "Meets", FR: "Répond à"},
	kLeftOut:          {EN: "Left out", FR: "Écartées"},
	kAllNeedsMet:      {EN: "all needs met", FR: "tous les besoins remplis"},
	kNarrowDown:       {EN: "Narrow it down to your needs", FR: "Affinez selon vos besoins"},
	kNeeds:            {EN: "Needs", FR: "Besoins"},
	kNeedsAre:         {EN: "The needs are", FR: "Les besoins sont"},
	kUnknownNeed:      {EN: "Unknown need", FR: "Besoin inconnu"},
	kUsedBy:           {EN: "Used by", FR: "Utilisé par"},
	kNobody:           {EN: "none of the messengers here", FR: "aucune des messageries présentées"},
	kAdvantages:       {EN: "Advantages", FR: "Avantages"},
	kDisadvantages:    {EN: "Disadvantages", FR: "Inconvénients"},
	kOneNetwork:       {EN: "One type only", FR: "Un seul type"},
	kUnknownNetwork:   {EN: "Unknown network type", FR: "Type de réseau inconnu"},
	kNetworksAre:      {EN: "The network types are", FR: "Les types de réseaux sont"},
	kTypes:            {EN: "Types", FR: "Types"},
	kMetBy:            {EN: "met by", FR: "rempli par"},
	kPartlyMetBy:      {EN: "partly met by", FR: "rempli en partie par"},
	kNotMetBy:         {EN: "not met by", FR: "non rempli par"},
	kUnknownFor:       {EN: "unknown for", FR: "inconnu pour"},
	kCriteriaSince:    {EN: "Criteria in effect since", FR: "Critères en vigueur depuis le"},
	kCompareHint:      {EN: "Compare messengers criterion by criterion", FR: "Comparer des messageries critère par critère"},
	kNothingYet:       {EN: "nothing yet", FR: "rien pour l'instant"},
	kLatestChanges:    {EN: "Latest changes ({1} of {2}), newest first", FR: "Derniers changements ({1} sur {2}), du plus récent au plus ancien"},
	kAnnounceOne:      {EN: "A change to the messenger recommendations", FR: "Un changement dans les recommandations de messageries"},
	kAnnounceMany:     {EN: "{1} changes to the messenger recommendations, newest first", FR: "{1} changements dans les recommandations de messageries, du plus récent au plus ancien"},
	kAnnounceStop:     {EN: "To stop these messages, send the command", FR: "Pour ne plus recevoir ces messages, envoyez la commande"},
	kChangesCount:     {EN: "N must be a whole number from 1 to {1}.", FR: "N doit être un nombre entier de 1 à {1}."},
	kAboutWhat:        {EN: "a Matrix bot that helps you choose a private, end-to-end encrypted messenger. It answers from a curated data set, in English and French, where every fact has a source.", FR: "un bot Matrix qui vous aide à choisir une messagerie privée, chiffrée de bout en bout. Il répond à partir de données sélectionnées, en anglais et en français, où chaque fait a sa source."},
	kContentVersion:   {EN: "Content version", FR: "Version du contenu"},
	kContentReviewed:  {EN: "Last reviewed", FR: "Dernière vérification"},
	kSources:          {EN: "Sources", FR: "Sources"},
	kEachFactSource:   {EN: "and each fact's own source", FR: "et la source propre à chaque fait"},
	kSourceCodeLabel:  {EN: "Source code", FR: "Code source"},
	kBotVersion:       {EN: "Bot version", FR: "Version du bot"},
	kAboutHelp:        {EN: "Commands", FR: "Commandes"},
	kHelpTitle:        {EN: "Commands", FR: "Commandes"},
	kHelpAdmin:        {EN: "Room settings", FR: "Paramètres du salon"},
	kHelpAddress:      {EN: "You can also address me by name, as in “guidebot: help”. In a direct message the prefix is optional, and a messenger's name alone is enough.", FR: "Vous pouvez aussi m'appeler par mon nom, comme dans « guidebot: aide ». En message direct, le préfixe est facultatif et le nom d'une messagerie suffit."},
	kHelpMore:         {EN: "Usage and example of one command", FR: "Usage et exemple d'une commande"},
	kCommandArg:       {EN: "COMMAND", FR: "COMMANDE"},
	kAlso:             {EN: "Also", FR: "Aussi"},
	kExample:          {EN: "Example", FR: "Exemple"},
	kUsage:            {EN: "Usage", FR: "Usage"},
	kKnownMessengers:  {EN: "Known messengers", FR: "Messageries connues"},
	kUnknownCommand:   {EN: "Unknown command", FR: "Commande inconnue"},
	kCommandsAre:      {EN: "The commands are", FR: "Les commandes sont"},
	kDidYouMean:       {EN: "did you mean", FR: "vouliez-vous dire"},
	kQuestionMark:     {EN: "?", FR: "\u00a0?"},
	kHint:             {EN: "I answer questions about private messengers. Try", FR: "Je réponds aux questions sur les messageries privées. Essayez"},
	kHintOr:           {EN: "or", FR: "ou"},
	kNeedName:         {EN: "Which messenger? Give its name.", FR: "Quelle messagerie\u00a0? Indiquez son nom."},
	kUnknownMessenger: {EN: "Unknown messenger", FR: "Messagerie inconnue"},
	kCompareCount:     {EN: "Give {1} to {2} different messengers.", FR: "Indiquez de {1} à {2} messageries différentes."},
	kLineTooLong:      {EN: "That line is too long: at most {1} characters after the command's name.", FR: "Cette ligne est trop longue\u00a0: {1} caractères au plus après le nom de la commande."},
	kTooManyArgs:      {EN: "Too many arguments: at most {1}.", FR: "Trop d'arguments\u00a0: {1} au plus."},
	kArgTooLong:       {EN: "An argument is too long: at most {1} characters.", FR: "Un argument est trop long\u00a0: {1} caractères au plus."},
	kSettingsTitle:    {EN: "Settings of this room", FR: "Paramètres de ce salon"},
	kSettingsList:     {EN: "Settings", FR: "Paramètres"},
	kSettingsAre:      {EN: "The settings are", FR: "Les paramètres sont"},
	kValues:           {EN: "Values", FR: "Valeurs"},
	kDefault:          {EN: "Default", FR: "Par défaut"},
	kChangeOne:        {EN: "Change one", FR: "Pour en modifier un"},
	kNeedsPower:       {EN: "Changing a setting takes the power level the bot's operator chose (50, moderator, by default); in a direct message, you may.", FR: "Modifier un paramètre demande le niveau de pouvoir choisi par l'opérateur du bot (50, modérateur, par défaut) ; en message direct, vous le pouvez."},
	kNeedPower:        {EN: "Changing the settings of this room takes power level {1}.", FR: "Modifier les paramètres de ce salon demande le niveau de pouvoir {1}."},
	kCannotCheck:      {EN: "I could not check your power level in this room; please try again later.", FR: "Je n'ai pas pu vérifier votre niveau de pouvoir dans ce salon ; réessayez plus tard."},
	kCannotSave:       {EN: "I could not save the setting; please try again later.", FR: "Je n'ai pas pu enregistrer le paramètre ; réessayez plus tard."},
	kUnknownSetting:   {EN: "Unknown setting", FR: "Paramètre inconnu"},
	kBadValue:         {EN: "is not a valid value for {1}.", FR: "n'est pas une valeur valide pour {1}."},
	kAlready:          {EN: "{1} is already {2}.", FR: "{1} vaut déjà {2}."},
	kSettingDone:      {EN: "Done: {1} is now", FR: "C'est fait\u00a0: {1} vaut désormais"},
	kPrefixNow:        {EN: "From now on, type", FR: "Désormais, tapez"},
	kSubscribed:       {EN: "This room will get a message when the recommendations change.", FR: "Ce salon recevra un message quand les recommandations changeront."},
	kUnsubscribed:     {EN: "This room will no longer get these messages.", FR: "Ce salon ne recevra plus ces messages."},
}

// criterionLabels are short names for the criteria, for the rows of the
// compare table; the criteria's full texts are in the content.
var criterionLabels = map[string]content.Text{
	"open-source-clients":     {EN: "Open-source apps", FR: "Applications open source"},
	"no-personal-identifiers": {EN: "No personal identifier", FR: "Sans identifiant personnel"},
	"e2ee-private-default":    {EN: "Private chats E2EE by default", FR: "Privé chiffré par défaut"},
	"e2ee-all-messages":       {EN: "E2EE for every message", FR: "Tout message chiffrable"},
	"forward-secrecy":         {EN: "Forward secrecy", FR: "Confidentialité persistante"},
	"independent-audit":       {EN: "Independent audit", FR: "Audit indépendant"},
	"future-secrecy":          {EN: "Future secrecy", FR: "Confidentialité future"},
	"open-source-servers":     {EN: "Open-source servers", FR: "Serveurs open source"},
	"decentralized":           {EN: "Decentralized network", FR: "Réseau décentralisé"},
	"e2ee-all-default":        {EN: "Everything E2EE by default", FR: "Tout chiffré par défaut"},
	"all-platforms":           {EN: "All five platforms", FR: "Les cinq plateformes"},
}

// criterionLabel is the short name of cr in lang; a criterion without one
// shows its full text.
func criterionLabel(lang content.Lang, cr content.Criterion) string {
	if l, ok := criterionLabels[cr.ID]; ok {
		return l.In(lang)
	}
	return cr.Text.In(lang)
}

// tr returns the string k in lang.
func tr(lang content.Lang, k key) string { return catalog[k].In(lang) }

// trf returns the string k in lang with {1}, {2}, … replaced by args.
func trf(lang content.Lang, k key, args ...string) string {
	s := tr(lang, k)
	if len(args) == 0 || !strings.Contains(s, "{") {
		return s
	}
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+string(rune('1'+i))+"}", a)
	}
	return s
}

func statusKey(s content.Status) key {
	switch s {
	case content.Recommended:
		return kStRecommended
	case content.Additional:
		return kStAdditional
	case content.NotRecommended:
		return kStNotRecommended
	}
	return kStNotListed
}

func statusHeadingKey(s content.Status) key {
	switch s {
	case content.Recommended:
		return kHdRecommended
	case content.Additional:
		return kHdAdditional
	case content.NotRecommended:
		return kHdNotRecommended
	}
	return kHdNotListed
}

func supportKey(s content.Support) key {
	switch s {
	case content.Yes:
		return kYes
	case content.Partial:
		return kPartial
	case content.No:
		return kNo
	case content.Unknown:
		return kUnknown
	}
	return kNA
}

func identifierKey(i content.Identifier) key {
	switch i {
	case content.PhoneNumber:
		return kIdPhone
	case content.Username:
		return kIdUsername
	case content.RandomID:
		return kIdRandom
	}
	return kIdNone
}
